import type { SockscopeEvent } from '../events.ts'
import { clientLatencies } from './summary.ts'

/**
 * A count over time as steps: `v[i]` holds from `t[i]` until `t[i + 1]` (µs, the run's
 * clock). Starts with the first change; before it the count is 0.
 */
export interface StepSeries {
  t: number[]
  v: number[]
}

/** Steps from +1 / -1 changes, in time order (changes at one instant merged into one step). */
function steps(changes: { t: number; d: number }[]): StepSeries {
  changes.sort((a, b) => a.t - b.t)
  const out: StepSeries = { t: [], v: [] }
  let n = 0
  for (const c of changes) {
    n = Math.max(0, n + c.d)
    if (out.t.at(-1) === c.t) out.v[out.v.length - 1] = n
    else {
      out.t.push(c.t)
      out.v.push(n)
    }
  }
  return out
}

/**
 * Connections a server is serving at each instant: from its accept of a connection to its
 * own close of it (whichever of its processes or threads closed it). What "concurrent" means
 * on screen: the iterative server never goes above 1, a thread per connection serves all.
 */
export function inServiceSeries(events: readonly SockscopeEvent[], serverRun: string): StepSeries {
  const accepted = new Set<string>()
  const closed = new Set<string>()
  const changes: { t: number; d: number }[] = []
  for (const e of events) {
    if (e.src.run !== serverRun || e.src.role !== 'server') continue
    if (e.kind === 'accept' && !accepted.has(e.conn)) {
      accepted.add(e.conn)
      changes.push({ t: e.t, d: +1 })
    } else if (e.kind === 'close' && accepted.has(e.conn) && !closed.has(e.conn)) {
      closed.add(e.conn)
      changes.push({ t: e.t, d: -1 })
    }
  }
  return steps(changes)
}

/**
 * Connections waiting in a server's accept queue at each instant: established by the
 * kernel (`queued`) and not yet taken by accept().
 */
export function queueDepthSeries(events: readonly SockscopeEvent[], serverRun: string): StepSeries {
  const queued = new Set<string>()
  const changes: { t: number; d: number }[] = []
  for (const e of events) {
    if (e.src.run !== serverRun || e.src.role !== 'server') continue
    if (e.kind === 'queued' && !queued.has(e.conn)) {
      queued.add(e.conn)
      changes.push({ t: e.t, d: +1 })
    } else if (e.kind === 'accept' && queued.delete(e.conn)) changes.push({ t: e.t, d: -1 })
  }
  return steps(changes)
}

/** The count a step series holds at `t` (0 before its first step). */
export function valueAt(series: StepSeries, t: number): number {
  let lo = 0
  let hi = series.t.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (series.t[mid]! <= t) lo = mid + 1
    else hi = mid
  }
  return lo === 0 ? 0 : series.v[lo - 1]!
}

export interface ClientLatency {
  conn: string
  /** When the client called connect() (µs). */
  connectT: number
  latencyUs: number
}

/** Each finished client's latency (connect → close, the summary's figure), in the order they connected. */
export function latencyPoints(events: readonly SockscopeEvent[], clientRun: string): ClientLatency[] {
  const connectT = new Map<string, number>()
  for (const e of events) if (e.kind === 'connect' && e.src.run === clientRun && !connectT.has(e.conn)) connectT.set(e.conn, e.t)
  return [...clientLatencies(events, clientRun)]
    .map(([conn, latencyUs]) => ({ conn, connectT: connectT.get(conn)!, latencyUs }))
    .sort((a, b) => a.connectT - b.connectT || (a.conn < b.conn ? -1 : 1))
}
