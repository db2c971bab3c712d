import type { ProcEvent, SocketsEvent } from '../../servers/events.ts'
import type { RunInfo } from '../../servers/web/protocol.ts'
import type { ProcessTrack, ThreadTrack } from './derive.ts'
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
  const born = p.startT ?? p.firstOwnT
  if (born !== null && born > t) return undefined
  const exited = p.exitT !== null && p.exitT <= t
  const reaped = p.reapT !== null && p.reapT <= t
  const started = threads.filter((th) => th.pid === p.pid && th.startT <= t)
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

const PROC = kindCode('proc')
const SOCKETS = kindCode('sockets')

/**
 * The OS's view at instants: the sampler's readings up to t folded into a table (the last
 * reading of each process at or before t). Positions of the readings are indexed once per
 * store size, so a table at any t folds only the readings before it: going back costs
 * what going forward does.
 */
export class OsHistory {
  private positions = new Uint32Array(0)
  private indexedSize = -1
  private cache: { t: number; table: OsTable } | null = null
  private readonly store: EventStore

  constructor(store: EventStore) {
    this.store = store
  }

  at(t: number): OsTable {
    if (this.indexedSize !== this.store.size) this.index()
    if (this.cache?.t === t) return this.cache.table
    const table = new OsTable()
    const end = this.store.upperBound(t)
    for (const pos of this.positions) {
      if (pos >= end) break
      table.apply(this.store.event(this.store.order[pos]!) as ProcEvent | SocketsEvent)
    }
    this.cache = { t, table }
    return table
  }

  private index(): void {
    const found: number[] = []
    for (let pos = 0; pos < this.store.size; pos++) {
      const k = this.store.kind[this.store.order[pos]!]
      if (k === PROC || k === SOCKETS) found.push(pos)
    }
    this.positions = Uint32Array.from(found)
    this.indexedSize = this.store.size
    this.cache = null
  }
}
