import type { ProcEvent, SockscopeEvent, SocketsEvent, StateEvent } from '../../servers/events.ts'
import type { RunInfo } from '../../servers/web/protocol.ts'
import type { ConnectionTrack, ProcessTrack, ThreadTrack } from './derive.ts'
import { type EventStore, kindCode } from './event-store.ts'
import { OsTable } from './os-view.ts'
import { blockedAt } from './replay.ts'

/**
 * What was, at an instant: runs, processes and threads as they stood at `t`, from the
 * tracks derived from the whole recording. A track at t keeps what had happened by then
 * (an exit after t has not happened: the process runs; a reap after t: still a zombie) and
 * what it was blocked on then, so the process table drawn from them is the table as it
 * was at t. Pure and cheap (no events are read again): panels call them every frame of
 * a replay.
 */

/** A run as it stood at t; undefined if it had not started yet. */
export function runAt(run: RunInfo, t: number): RunInfo | undefined {
  if (run.startedAt > t) return undefined
  if (run.endedAt !== null && run.endedAt <= t) return run
  const { outcome: _notYet, ...rest } = run
  return { ...rest, state: 'running', endedAt: null }
}

/** A process as it stood at t; undefined if it had not been seen yet. */
export function processAt(p: ProcessTrack, t: number, threads: readonly ThreadTrack[]): ProcessTrack | undefined {
  return processWithThreadsAt(p, t, threads.filter((th) => th.pid === p.pid))
}

/** processAt with the process's own threads given (a table of many processes groups them once). */
export function processWithThreadsAt(p: ProcessTrack, t: number, own: readonly ThreadTrack[]): ProcessTrack | undefined {
  const born = p.startT ?? p.firstOwnT
  if (born !== null && born > t) return undefined
  const exited = p.exitT !== null && p.exitT <= t
  const reaped = p.reapT !== null && p.reapT <= t
  const started = own.filter((th) => th.startT <= t)
  return {
    ...p,
    firstOwnT: p.firstOwnT !== null && p.firstOwnT <= t ? p.firstOwnT : null,
    exitT: exited ? p.exitT : null,
    exitCode: exited ? p.exitCode : null,
    exitSignal: exited ? p.exitSignal : null,
    reapT: reaped ? p.reapT : null,
    reapTrigger: reaped ? p.reapTrigger : null,
    liveThreads: started.filter((th) => th.endT === null || th.endT > t).length,
    threadsStarted: started.length,
    blockedOn: exited ? null : blockedAt(p.phases, t),
  }
}

/** A thread as it stood at t; undefined if it had not started yet. */
export function threadAt(th: ThreadTrack, t: number): ThreadTrack | undefined {
  if (th.startT > t) return undefined
  const ended = th.endT !== null && th.endT <= t
  return { ...th, endT: ended ? th.endT : null, blockedOn: ended ? null : blockedAt(th.phases, t) }
}

/**
 * Where events of some kinds are in time order, indexed as the store grows: a view at t
 * reads only those before t, so going back costs what going forward does.
 */
class KindPositions {
  private positions: number[] = []
  private scanned = 0
  /** The seq at the last scanned position: if the order before it changed, it moved. */
  private lastSeq = -1
  private readonly store: EventStore
  private readonly kinds: ReadonlySet<number>

  constructor(store: EventStore, kinds: readonly string[]) {
    this.store = store
    this.kinds = new Set(kinds.map(kindCode))
  }

  /** Bumped whenever the index starts again: counts taken before it no longer hold. */
  generation = 0

  /** How many of those events are at or before t (the first `count(t)` in time order). */
  count(t: number): number {
    this.index()
    const end = this.store.upperBound(t)
    let lo = 0
    let hi = this.positions.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.positions[mid]! < end) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** The seq of the k-th of those events in time order. */
  seq(k: number): number {
    return this.store.order[this.positions[k]!]!
  }

  /** The seqs of those events at or before t, in time order. */
  *upTo(t: number): Generator<number> {
    for (let k = 0, n = this.count(t); k < n; k++) yield this.seq(k)
  }

  /** Index what arrived since the last call; from the start when a late batch landed earlier in time (the order before moved). */
  private index(): void {
    const { store } = this
    if (store.size < this.scanned || (this.scanned > 0 && store.order[this.scanned - 1] !== this.lastSeq)) {
      this.positions = []
      this.scanned = 0
      this.generation++
    }
    for (let pos = this.scanned; pos < store.size; pos++) if (this.kinds.has(store.kind[store.order[pos]!]!)) this.positions.push(pos)
    this.scanned = store.size
    this.lastSeq = store.size > 0 ? store.order[store.size - 1]! : -1
  }
}

/** The OS's view at instants: the sampler's readings up to t folded into a table (each process's last reading at or before t). */
export class OsHistory {
  private readonly readings: KindPositions
  private readonly store: EventStore
  /** The table at `t`, folded from the first `applied` readings: a later t folds only those after them (a replay playing forward). */
  private cache: { t: number; generation: number; applied: number; table: OsTable } | null = null

  constructor(store: EventStore) {
    this.store = store
    this.readings = new KindPositions(store, ['proc', 'sockets'])
  }

  at(t: number): OsTable {
    const n = this.readings.count(t)
    const cache = this.cache
    if (cache && cache.generation === this.readings.generation && t >= cache.t && n >= cache.applied) {
      for (let k = cache.applied; k < n; k++) cache.table.apply(this.store.event(this.readings.seq(k)) as ProcEvent | SocketsEvent)
      cache.applied = n
      cache.t = t
      return cache.table
    }
    const table = new OsTable()
    for (let k = 0; k < n; k++) table.apply(this.store.event(this.readings.seq(k)) as ProcEvent | SocketsEvent)
    this.cache = { t, generation: this.readings.generation, applied: n, table }
    return table
  }
}

/** How many connections wait in each server's accept queue at t: connected, not yet accepted, not given up. */
export function acceptQueueAt(connections: readonly ConnectionTrack[], t: number): Map<string, number> {
  const depth = new Map<string, number>()
  for (const c of connections) {
    if (c.serverRun === null || c.connectT === null || c.connectT > t) continue
    if (c.acceptT !== null && c.acceptT <= t) continue
    if (c.clientCloseT !== null && c.clientCloseT <= t) continue
    depth.set(c.serverRun, (depth.get(c.serverRun) ?? 0) + 1)
  }
  return depth
}

/** A shared value (the bank's balance) as it stood: the last write at or before the instant. */
export interface SharedValue {
  run: string
  key: string
  value: number
  t: number
}

/**
 * The apps' shared state at instants (the bank's balance): the last write of each key in
 * each server's memory at or before t. A forked child's own copy ('copy') is not the
 * server's: it is left out.
 */
export class StateHistory {
  private readonly writes: KindPositions
  private readonly store: EventStore

  constructor(store: EventStore) {
    this.store = store
    this.writes = new KindPositions(store, ['state'])
  }

  at(t: number): SharedValue[] {
    const last = new Map<string, SharedValue>()
    for (const seq of this.writes.upTo(t)) {
      const e = this.store.event(seq) as StateEvent
      if (e.access !== 'write' || e.memory === 'copy') continue
      last.set(`${e.src.run}\u0000${e.key}`, { run: e.src.run, key: e.key, value: e.value, t: e.t })
    }
    return [...last.values()]
  }
}

/** The events up to `t` (inclusive) of a time-ordered list: what has happened at the playhead. */
export function eventsUpTo(events: readonly SockscopeEvent[], t: number): readonly SockscopeEvent[] {
  if (!(t < Number.POSITIVE_INFINITY)) return events
  let lo = 0
  let hi = events.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (events[mid]!.t <= t) lo = mid + 1
    else hi = mid
  }
  return lo === events.length ? events : events.slice(0, lo)
}
