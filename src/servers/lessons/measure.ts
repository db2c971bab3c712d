import type { ConnId, SockscopeEvent } from '../events.ts'

/**
 * Pure measurements over the event stream that the lessons' checkpoints share. Each takes
 * the events of one run (`src.run`), in the stream's order, and says what a person would
 * read off the timeline.
 */

type Of<K extends SockscopeEvent['kind']> = Extract<SockscopeEvent, { kind: K }>

export const S = (us: number) => us / 1e6

/** The events one run reported itself (the server's or the client driver's, not the OS sampler's). */
export function ofRun(events: readonly SockscopeEvent[], run: string | undefined): SockscopeEvent[] {
  if (run === undefined) return []
  return events.filter((e) => e.src.run === run && e.src.role !== 'os' && e.src.role !== 'lab')
}

export function kind<K extends SockscopeEvent['kind']>(events: readonly SockscopeEvent[], k: K): Of<K>[] {
  return events.filter((e): e is Of<K> => e.kind === k)
}

/** The OS sampler's readings of one run's process tree. */
export function procsOf(events: readonly SockscopeEvent[], run: string | undefined): Of<'proc'>[] {
  return events.filter((e): e is Of<'proc'> => e.kind === 'proc' && e.src.run === run)
}

/** A connection's server port (`57140>35935` → 35935). */
export function serverPort(conn: ConnId): number {
  return Number(conn.slice(conn.indexOf('>') + 1))
}

/** Client connections in the order they connected (client k is index k − 1), from the client's own events. */
export function clientOrder(clientEvents: readonly SockscopeEvent[]): ConnId[] {
  return kind(clientEvents, 'connect').map((e) => e.conn)
}

/** The server's view of each connection: accepted when, closed when (absent while open). */
export interface Served {
  conn: ConnId
  acceptedAt: number
  waitedUs: number
  closedAt?: number
}

export function served(serverEvents: readonly SockscopeEvent[]): Served[] {
  const byConn = new Map<ConnId, Served>()
  for (const e of serverEvents) {
    if (e.kind === 'accept' && !byConn.has(e.conn)) byConn.set(e.conn, { conn: e.conn, acceptedAt: e.t, waitedUs: e.waitedUs })
    else if (e.kind === 'close') {
      const s = byConn.get(e.conn)
      if (s && s.closedAt === undefined) s.closedAt = e.t
    }
  }
  return [...byConn.values()]
}

/** The most intervals open at once; an interval without an end is open until `openEnd`. */
export function mostAtOnce(intervals: readonly { from: number; to?: number }[], openEnd = Number.POSITIVE_INFINITY): number {
  const edges: [number, number][] = []
  for (const { from, to } of intervals) edges.push([from, 1], [to ?? openEnd, -1])
  // Ends before starts at the same instant: one closing as the next opens is not two at once.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let most = 0
  for (const [, d] of edges) most = Math.max(most, (now += d))
  return most
}

/** Connections in service at once, accept → close, as the server saw them. */
export function mostInService(serverEvents: readonly SockscopeEvent[]): number {
  return mostAtOnce(served(serverEvents).map((s) => ({ from: s.acceptedAt, to: s.closedAt })))
}

/** Intervals a connection spent blocked on `on` (block → unblock), per connection. */
export function blockedIntervals(serverEvents: readonly SockscopeEvent[], on: Of<'block'>['on']): { conn: ConnId; from: number; to?: number }[] {
  const open = new Map<ConnId, { conn: ConnId; from: number; to?: number }>()
  const all: { conn: ConnId; from: number; to?: number }[] = []
  for (const e of serverEvents) {
    if (e.kind === 'block' && e.on === on && e.conn) {
      const interval = { conn: e.conn, from: e.t }
      open.set(e.conn, interval)
      all.push(interval)
    } else if (e.kind === 'unblock' && e.on === on && e.conn) {
      const interval = open.get(e.conn)
      if (interval) {
        interval.to = e.t
        open.delete(e.conn)
      }
    }
  }
  return all
}

/** Client side: first connect to last close of a workload's connections (s), once all have closed. */
export function workloadSpan(clientEvents: readonly SockscopeEvent[]): { closed: number; connected: number; spanS: number } {
  const connects = kind(clientEvents, 'connect')
  const closes = kind(clientEvents, 'close')
  if (!connects.length || !closes.length) return { closed: closes.length, connected: connects.length, spanS: 0 }
  return { closed: closes.length, connected: connects.length, spanS: S(Math.max(...closes.map((e) => e.t)) - Math.min(...connects.map((e) => e.t))) }
}

/**
 * The balance audit, from the server's own state events: each write is a read-modify-write
 * of what that connection read last, so the balance should have moved by the sum of those
 * steps. A write that lands after another connection's write to the same key, over a value
 * read before it, overwrites that update: it is lost.
 */
export function lostUpdates(serverEvents: readonly SockscopeEvent[], key: string) {
  const lastRead = new Map<string, { value: number; writesSeen: number }>()
  let writes = 0
  let lost = 0
  let expected: number | undefined
  let actual: number | undefined
  for (const e of serverEvents) {
    if (e.kind !== 'state' || e.key !== key) continue
    const who = e.conn ?? `${e.src.pid}/${e.src.tid}`
    if (e.access === 'read') {
      lastRead.set(who, { value: e.value, writesSeen: writes })
      expected ??= e.value
      continue
    }
    const read = lastRead.get(who)
    expected = (expected ?? 0) + (read ? e.value - read.value : 0)
    if (read && writes > read.writesSeen) lost++
    writes++
    actual = e.value
    lastRead.delete(who)
  }
  return { writes, lost, expected: expected ?? 0, actual: actual ?? expected ?? 0 }
}

/** A figure for a sentence: `digits` decimals at most (the language formats the rest). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * At least `count` events of `k` from a run, and an OS sample of that run's server
 * process taken after the last of them: the moment its peaks (threads, memory) are on record.
 */
export function sampledAfter(events: readonly SockscopeEvent[], run: string | undefined, k: SockscopeEvent['kind'], count: number): boolean {
  const own = ofRun(events, run)
  const seen = own.filter((e) => e.kind === k)
  if (seen.length < count) return false
  const pid = own.find((e) => e.kind === 'listen')?.src.pid
  const last = seen[count - 1]!.t
  return procsOf(events, run).some((p) => p.pid === pid && p.t > last)
}
