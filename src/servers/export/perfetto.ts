import type { Phase } from '../../renderer/model/derive.ts'
import { phaseName } from '../../renderer/model/describe.ts'
import type { SockscopeEvent } from '../events.ts'
import type { ExportModel } from './model.ts'

/**
 * A recording as Chrome Trace Event JSON, which ui.perfetto.dev and chrome://tracing open:
 *  - one process per real pid (server host, forked child, client driver), named
 *    (`process_name`); its main thread (tid = pid, as on Linux) carries the process's life
 *    as the screen derives it (starting, running, sleeping on accept / recv / sleep,
 *    zombie from exit to reap) and its events without a connection;
 *  - one track per connection, a synthetic tid under the server's process named as its
 *    lane (`#3 :45002`), with the connection's phases as complete slices and its server
 *    side's events as instants; its client side's events on a track of its own under the
 *    client's process (`#3 :45002 client`);
 *  - one track per worker thread (thread model), with its phases;
 *  - flow arrows from a fork to the child's first event, and from each send to the recv
 *    on the other side that took its first byte (by connection and byte order).
 * Times are µs since the recording's zero (never negative).
 */

export interface TraceEventJson {
  name: string
  ph: 'X' | 'i' | 's' | 'f' | 'M'
  pid: number
  tid: number
  ts?: number
  dur?: number
  cat?: string
  s?: 't'
  id?: number
  bp?: 'e'
  args?: Record<string, unknown>
}

export interface PerfettoTrace {
  traceEvents: TraceEventJson[]
  displayTimeUnit: 'ms'
}

/** Synthetic tids start above Linux's largest pid (2^22), so they never meet a real one. */
const SYNTHETIC_TID = 10_000_000
/** Kinds the phases are made of: drawn as slices, not as instants (as on the screen). */
const PHASE_ONLY = new Set(['block', 'unblock', 'queued', 'lock-wait', 'lock-acquire'])

const round = (us: number) => Math.round(us * 1000) / 1000

export function toPerfetto(m: ExportModel): PerfettoTrace {
  const base = Math.min(0, m.recording.events[0]?.t ?? 0)
  const ts = (t: number) => round(t - base)
  const meta: TraceEventJson[] = []
  const out: TraceEventJson[] = []
  let nextTid = SYNTHETIC_TID
  let nextFlow = 1
  const label = (conn: string) => (m.connIndex.has(conn) ? `#${m.connIndex.get(conn)}` : undefined)

  // Processes, in the screen's order: the client workloads, then each server and its children.
  const named = new Set<number>()
  let sortIndex = 0
  const nameProcess = (pid: number, name: string) => {
    if (named.has(pid)) return
    named.add(pid)
    meta.push({ name: 'process_name', ph: 'M', pid, tid: pid, args: { name } })
    meta.push({ name: 'process_sort_index', ph: 'M', pid, tid: pid, args: { sort_index: sortIndex++ } })
    meta.push({ name: 'thread_name', ph: 'M', pid, tid: pid, args: { name: 'main thread' } })
    meta.push({ name: 'thread_sort_index', ph: 'M', pid, tid: pid, args: { sort_index: 0 } })
  }
  const nameThread = (pid: number, tid: number, name: string, index: number) => {
    meta.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name } })
    meta.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: index } })
  }
  for (const c of [...m.clients.values()].sort((a, b) => a.firstT - b.firstT))
    nameProcess(c.pid, `clients ${c.run} · ${c.connections} connection${c.connections === 1 ? '' : 's'}`)
  const childIndex = (conn: string | null) => (conn ? (m.connIndex.get(conn) ?? 1e9) : 1e9)
  for (const s of m.servers) {
    nameProcess(s.pid, `server ${s.run} · ${s.model} · ${s.app}`)
    const children = m.processes.filter((p) => p.role === 'child' && p.ppid === s.pid).sort((a, b) => childIndex(a.conn) - childIndex(b.conn))
    for (const child of children) nameProcess(child.pid, `child ${child.pid}${child.conn && label(child.conn) ? ` for ${label(child.conn)}` : ''}`)
  }
  for (const p of m.processes) {
    const conn = p.conn && label(p.conn)
    nameProcess(p.pid, p.role === 'child' ? `child ${p.pid}${conn ? ` for ${conn}` : ''}` : `${[p.role === 'other' ? 'process' : p.role, p.run].filter(Boolean).join(' ')} · pid ${p.pid}`)
  }

  /** Phases as complete slices on one track, kept nested as a track's slices must be. */
  const slices = (pid: number, tid: number, phases: readonly Phase[], lane: { kind: string; task?: string | null }) => {
    let lastEnd = Number.NEGATIVE_INFINITY
    for (const phase of [...phases].sort((a, b) => a.start - b.start)) {
      const end = phase.end ?? m.endT
      const start = Math.max(phase.start, lastEnd)
      const args: Record<string, unknown> = { phase: phase.kind }
      if (phase.on !== undefined) args.on = phase.on
      if (phase.task) args.task = true
      if (phase.conn !== undefined) args.conn = phase.conn
      if (phase.sockets !== undefined) args.sockets = phase.sockets
      if (phase.timeoutMs !== undefined) args.timeoutMs = phase.timeoutMs
      if (phase.cause !== undefined) args.cause = phase.cause
      if (phase.limit !== undefined) args.limit = phase.limit
      if (phase.end === null) args.open = 'still going when the recording ends'
      if (start !== phase.start) args.derivedStart = ts(phase.start)
      out.push({ name: phaseName(phase, lane, label), cat: 'phase', ph: 'X', ts: ts(start), dur: round(Math.max(0, end - start)), pid, tid, args })
      lastEnd = Math.max(lastEnd, end)
    }
  }

  for (const p of m.processes) slices(p.pid, p.pid, p.phases, { kind: p.role === 'server' ? 'server' : 'process' })

  const threadTid = new Map<string, number>()
  for (const t of m.threads) {
    const tid = nextTid++
    threadTid.set(t.key, tid)
    const conn = t.conn && label(t.conn)
    nameThread(t.pid, tid, `thread ${t.tid}${conn ? ` for ${conn}` : ''}`, 100_000 + t.tid)
    slices(t.pid, tid, t.phases, { kind: 'thread' })
  }

  const serverPidOf = new Map(m.servers.map((s) => [s.run, s.pid]))
  const clientPidOf = new Map([...m.clients.values()].map((c) => [c.run, c.pid]))
  /** Each connection's tracks: its server side's (with its phases) and its client side's. */
  const connTracks = new Map<string, { server?: { pid: number; tid: number }; client?: { pid: number; tid: number } }>()
  for (const c of m.connections) {
    const title = m.connTitle(c)
    const index = m.connIndex.get(c.key) ?? 0
    const firstServer = c.marks.find((mark) => mark.side === 'server')
    const serverPid = c.serverPid ?? (c.serverRun !== null ? serverPidOf.get(c.serverRun) : undefined) ?? (firstServer ? m.event(firstServer.seq).src.pid : undefined)
    const clientPid = c.clientRun !== null ? clientPidOf.get(c.clientRun) : undefined
    const tracks: { server?: { pid: number; tid: number }; client?: { pid: number; tid: number } } = {}
    if (serverPid !== undefined) {
      tracks.server = { pid: serverPid, tid: nextTid++ }
      nameThread(serverPid, tracks.server.tid, title, index)
    }
    if (clientPid !== undefined) {
      tracks.client = { pid: clientPid, tid: nextTid++ }
      nameThread(clientPid, tracks.client.tid, tracks.server ? `${title} client` : title, index)
    }
    connTracks.set(c.key, tracks)
    const phaseTrack = tracks.server ?? tracks.client
    if (phaseTrack) slices(phaseTrack.pid, phaseTrack.tid, c.phases, { kind: 'conn', task: c.task })
  }

  // Every event that is not part of a phase, as an instant on its track.
  const forkFlows = new Map<number, number>()
  const wire = new Map<string, { sends: Record<'client' | 'server', Anchor[]>; recvs: Record<'client' | 'server', Anchor[]> }>()
  for (const e of m.recording.events) {
    if (PHASE_ONLY.has(e.kind)) continue
    const side = e.src.role === 'client' ? 'client' : 'server'
    const conn = (e as { conn?: string }).conn
    const childPid = (e as { childPid?: number }).childPid
    let where: { pid: number; tid: number }
    if ((e.kind === 'exit' || e.kind === 'reap') && childPid !== undefined) where = { pid: childPid, tid: childPid }
    else if (conn !== undefined && connTracks.get(conn)?.[side]) where = connTracks.get(conn)![side]!
    else if (e.src.tid !== 0 && threadTid.has(`${e.src.pid}:${e.src.tid}`)) where = { pid: e.src.pid, tid: threadTid.get(`${e.src.pid}:${e.src.tid}`)! }
    else where = { pid: e.src.pid, tid: e.src.pid }
    out.push({ name: e.kind, cat: side, ph: 'i', s: 't', ts: ts(e.t), ...where, args: argsOf(e) })
    if (e.kind === 'fork') {
      const id = nextFlow++
      forkFlows.set(e.childPid, id)
      out.push({ name: 'fork', cat: 'flow', ph: 's', id, ts: ts(e.t), ...where })
    }
    if ((e.kind === 'send' || e.kind === 'recv') && conn !== undefined && e.bytes > 0) {
      let w = wire.get(conn)
      if (!w) wire.set(conn, (w = { sends: { client: [], server: [] }, recvs: { client: [], server: [] } }))
      ;(e.kind === 'send' ? w.sends : w.recvs)[side].push({ t: e.t, bytes: e.bytes, ...where })
    }
  }

  // A fork's arrow ends at its child's first event of its own, on the child's track.
  for (const p of m.processes) {
    const id = forkFlows.get(p.pid)
    if (id !== undefined && p.firstOwnT !== null) out.push({ name: 'fork', cat: 'flow', ph: 'f', bp: 'e', id, ts: ts(p.firstOwnT), pid: p.pid, tid: p.pid })
  }

  // A send's arrow ends at the recv on the other side that took its first byte.
  for (const w of wire.values()) {
    for (const [from, to] of [['client', 'server'], ['server', 'client']] as const) {
      const name = `${from} → ${to}`
      const recvs = w.recvs[to]
      let r = 0
      let recvEnd = recvs[0]?.bytes ?? 0
      let sent = 0
      for (const send of w.sends[from]) {
        while (r < recvs.length && recvEnd <= sent) recvEnd += recvs[++r]?.bytes ?? 0
        sent += send.bytes
        const recv = recvs[r]
        if (!recv) break
        const id = nextFlow++
        out.push({ name, cat: 'flow', ph: 's', id, ts: ts(send.t), pid: send.pid, tid: send.tid })
        out.push({ name, cat: 'flow', ph: 'f', bp: 'e', id, ts: ts(recv.t), pid: recv.pid, tid: recv.tid })
      }
    }
  }

  // Stable: at one instant, a slice comes before the flow that binds to it.
  out.sort((a, b) => a.ts! - b.ts!)
  // Metadata needs no time, but some importers want every event to have one.
  for (const e of meta) e.ts = 0
  return { traceEvents: [...meta, ...out], displayTimeUnit: 'ms' }
}

interface Anchor {
  t: number
  bytes: number
  pid: number
  tid: number
}

/** An event's own fields, for the instant's details: bytes and preview for recv and send. */
function argsOf(e: SockscopeEvent): Record<string, unknown> {
  const { kind: _kind, t: _t, src, ...fields } = e as SockscopeEvent & Record<string, unknown>
  return { ...fields, run: src.run, pid: src.pid, thread: src.tid }
}
