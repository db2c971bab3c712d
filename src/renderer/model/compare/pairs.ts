import type { SockscopeEvent } from '../../../servers/events.ts'
import type { ConnectionTrack, ServerInfo } from '../derive.ts'
import { type EventStore, kindCode } from '../event-store.ts'
import { MAX_COMPARED } from '../../../servers/compare/bounds.ts'

/** One model in a compare, as the recording tells it: its server's run and the client run aimed at it. */
export interface CompareEntry {
  model: string
  serverRun: string
  clientRun: string
  port: number
}

/**
 * The models a recording compares: each server run (from its listen) and the first client
 * run that connected to it, in the order the compare asked for them, at most MAX_COMPARED.
 * From the events alone, so a reopened recording of a compare shows as the live one did;
 * `only` (the server runs a compare started here) keeps other runs of the session out.
 */
export function compareEntries(servers: readonly ServerInfo[], connections: readonly ConnectionTrack[], only: readonly string[] | null = null): CompareEntry[] {
  const firstClient = new Map<string, { run: string; t: number }>()
  for (const c of connections) {
    if (!c.serverRun || !c.clientRun) continue
    const t = c.connectT ?? c.firstT
    const seen = firstClient.get(c.serverRun)
    if (!seen || t < seen.t) firstClient.set(c.serverRun, { run: c.clientRun, t })
  }
  const entries: CompareEntry[] = []
  // In the order the compare asked for them: the lab numbers server runs as they are asked
  // for (s1, s2, …), while their listens, started together, come in any order.
  const asked = (run: string) => Number(/^s(\d+)$/.exec(run)?.[1] ?? Number.POSITIVE_INFINITY)
  for (const s of [...servers].sort((a, b) => asked(a.run) - asked(b.run) || a.listenT - b.listenT)) {
    const client = firstClient.get(s.run)
    if (!client || (only && !only.includes(s.run)) || entries.some((e) => e.serverRun === s.run)) continue
    entries.push({ model: s.model, serverRun: s.run, clientRun: client.run, port: s.ports[0] ?? 0 })
  }
  if (only) entries.sort((a, b) => only.indexOf(a.serverRun) - only.indexOf(b.serverRun))
  return entries.slice(0, MAX_COMPARED)
}

/** What the summary and the charts read: the kinds they count, nothing else is decoded. */
const KINDS = new Set(['connect', 'queued', 'accept', 'close', 'proc', 'state'].map(kindCode))

/**
 * The events of the compared runs that the summary (servers/compare/summary.ts) and the
 * series (servers/compare/series.ts) read, decoded from the store's columns, in time
 * order. A compare of 4 × 8 clients is a few thousand; the kind and run filter reads
 * columns only, so a million-event recording costs one pass, not a million objects.
 */
export function compareEvents(store: EventStore, entries: readonly CompareEntry[]): SockscopeEvent[] {
  const runs = new Set<number>()
  for (const e of entries) for (const name of [e.serverRun, e.clientRun]) {
    const id = store.runs.find(name)
    if (id >= 0) runs.add(id)
  }
  const out: SockscopeEvent[] = []
  if (!runs.size) return out
  for (let pos = 0; pos < store.size; pos++) {
    const seq = store.order[pos]!
    if (!KINDS.has(store.kind[seq]!) || !runs.has(store.run[seq]!)) continue
    const event = store.event(seq)
    if (event) out.push(event)
  }
  return out
}

