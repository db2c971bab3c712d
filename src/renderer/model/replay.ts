import type { BlockReason } from '../../servers/events.ts'
import type { Phase } from './derive.ts'
import { type EventStore, kindCode } from './event-store.ts'

/**
 * The replay's arithmetic, over the event store's columns: where the next and the
 * previous event are, which instants are worth jumping to (markers), how idle gaps are
 * skipped. Pure functions of (store, time), so stepping back costs what stepping forward
 * does: a binary search and a short scan, never a replay from the start.
 */

/** Replay speeds offered, slowest first: 0.1× turns a 5 ms interval into half a second. */
export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16] as const
export const MIN_SPEED = SPEEDS[0]
export const MAX_SPEED = SPEEDS[SPEEDS.length - 1]!

export function clampSpeed(speed: number): number {
  return Number.isFinite(speed) ? Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed)) : 1
}

/** The next (dir 1) or previous (dir -1) speed of SPEEDS from `speed`. */
export function nextSpeed(speed: number, dir: 1 | -1): number {
  if (dir > 0) return SPEEDS.find((s) => s > speed + 1e-9) ?? MAX_SPEED
  return [...SPEEDS].reverse().find((s) => s < speed - 1e-9) ?? MIN_SPEED
}

/** The OS sampler's readings are the kernel's state every few hundred ms: not steps of the program. */
const PROC = kindCode('proc')
const SOCKETS = kindCode('sockets')
const isStep = (store: EventStore, seq: number, conn: number | null) =>
  store.kind[seq] !== PROC && store.kind[seq] !== SOCKETS && (conn === null || store.conn[seq] === conn)

/** First position in time order whose time is ≥ t. */
export function lowerBound(store: EventStore, t: number): number {
  let lo = 0
  let hi = store.size
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (store.t[store.order[mid]!]! < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The time of the first event after `t` (dir 1) or the last before it (dir -1), of one
 * connection when `conn` (its id) is given; null when there is none. OS readings are not
 * steps. Events at the same instant are one step.
 */
export function stepTime(store: EventStore, t: number, dir: 1 | -1, conn: string | null = null): number | null {
  const connId = conn === null ? null : store.conns.find(conn)
  if (connId === -1) return null
  if (dir > 0) {
    for (let i = store.upperBound(t); i < store.size; i++) {
      const seq = store.order[i]!
      if (isStep(store, seq, connId)) return store.t[seq]!
    }
    return null
  }
  for (let i = lowerBound(store, t) - 1; i >= 0; i--) {
    const seq = store.order[i]!
    if (isStep(store, seq, connId)) return store.t[seq]!
  }
  return null
}

export type MarkerKind = 'first-accept' | 'fork' | 'exit' | 'zombie' | 'reap' | 'error' | 'lock-wait' | 'user'

/** An instant worth jumping to. */
export interface Marker {
  t: number
  kind: MarkerKind
  /** What it is, in a few words (the axis tooltip, the marker list). */
  label: string
  /** The event it marks (none for a user's own). */
  seq: number | null
}

const ACCEPT = kindCode('accept')
const FORK = kindCode('fork')
const EXIT = kindCode('exit')
const REAP = kindCode('reap')
const ERROR = kindCode('error')
const LOCK_WAIT = kindCode('lock-wait')

/**
 * The markers of a recording: each server's first accept, every fork, exit, reap, error
 * and lock wait, and a zombie marker where a child's exit was not followed by its reap at
 * the same instant (it stays a zombie until then). In time order.
 */
export function findMarkers(store: EventStore): Marker[] {
  return new MarkerIndex().update(store)
}

/**
 * findMarkers kept up to date as a live store grows: only the events past the last scan
 * are read, as long as nothing arrived before them (a late batch that lands earlier in
 * time shifts the order, and the scan starts again).
 */
export class MarkerIndex {
  private markers: Marker[] = []
  private scanned = 0
  /** The seq at the last scanned position: if the order before it changed, it moved. */
  private lastSeq = -1
  private acceptedRuns = new Set<number>()
  /** A child's exit marker, by its pid, until its reap. */
  private exits = new Map<number, Marker>()

  update(store: EventStore): Marker[] {
    if (store.size < this.scanned || (this.scanned > 0 && store.order[this.scanned - 1] !== this.lastSeq)) this.restart()
    if (store.size === this.scanned) return this.markers
    const found: Marker[] = []
    for (let i = this.scanned; i < store.size; i++) this.scan(store, store.order[i]!, found)
    this.scanned = store.size
    this.lastSeq = store.order[store.size - 1]!
    // A zombie marker is placed back at its exit: the new ones may fall among the old.
    this.markers = [...this.markers, ...found].sort((a, b) => a.t - b.t)
    return this.markers
  }

  private restart(): void {
    this.markers = []
    this.scanned = 0
    this.lastSeq = -1
    this.acceptedRuns = new Set()
    this.exits = new Map()
  }

  private scan(store: EventStore, seq: number, out: Marker[]): void {
    const kind = store.kind[seq]!
    const t = store.t[seq]!
    switch (kind) {
      case ACCEPT:
        if (!this.acceptedRuns.has(store.run[seq]!)) {
          this.acceptedRuns.add(store.run[seq]!)
          out.push({ t, kind: 'first-accept', label: `first accept · ${store.runs.name(store.run[seq]!) ?? ''}`, seq })
        }
        break
      case FORK:
        out.push({ t, kind: 'fork', label: `fork · pid ${store.pid[seq]}`, seq })
        break
      case EXIT: {
        const child = (store.event(seq) as { childPid?: number } | undefined)?.childPid ?? store.pid[seq]!
        const exit: Marker = { t, kind: 'exit', label: `exit · pid ${child}`, seq }
        this.exits.set(child, exit)
        out.push(exit)
        break
      }
      case REAP: {
        const child = (store.event(seq) as { childPid?: number } | undefined)?.childPid
        const exit = child === undefined ? undefined : this.exits.get(child)
        // An exit reaped later left a zombie for the time between: mark where it began.
        if (exit && t > exit.t) out.push({ t: exit.t, kind: 'zombie', label: `zombie · pid ${child}`, seq: exit.seq })
        if (child !== undefined) this.exits.delete(child)
        out.push({ t, kind: 'reap', label: `reap · pid ${child ?? '?'}`, seq })
        break
      }
      case ERROR:
        out.push({ t, kind: 'error', label: `error · ${(store.event(seq) as { code?: string } | undefined)?.code ?? ''}`, seq })
        break
      case LOCK_WAIT:
        out.push({ t, kind: 'lock-wait', label: 'lock wait', seq })
        break
    }
  }
}

/** The first marker after `t` (dir 1) or the last before it (dir -1). */
export function markerFrom(markers: readonly Marker[], t: number, dir: 1 | -1): Marker | null {
  if (dir > 0) return markers.find((m) => m.t > t) ?? null
  for (let i = markers.length - 1; i >= 0; i--) if (markers[i]!.t < t) return markers[i]!
  return null
}

/**
 * Idle time skipped, as asciinema's idle time limit does: while the playhead is in a
 * gap between two events longer than `limitUs`, it plays only `limitUs` of it (half after
 * the event before, half before the event after). Returns where the playhead goes from
 * `t`: `t` itself outside such a gap.
 */
export function skipIdle(store: EventStore, t: number, limitUs: number | null): number {
  if (limitUs === null || !(limitUs > 0)) return t
  const next = stepTime(store, t, 1)
  const prev = stepTime(store, t + 1e-6, -1)
  if (next === null || prev === null || next - prev <= limitUs) return t
  return t > prev + limitUs / 2 && t < next - limitUs / 2 ? next - limitUs / 2 : t
}

/** The phase of `phases` (in time order) going on at `t`, if any: a phase ending at t is over. */
export function phaseAt<P extends Pick<Phase, 'start' | 'end'>>(phases: readonly P[], t: number): P | undefined {
  let lo = 0
  let hi = phases.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (phases[mid]!.start <= t) lo = mid + 1
    else hi = mid
  }
  // A track's phases follow one another; a few steps back covers one that began earlier and is still open.
  for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) {
    const p = phases[i]!
    if (p.start <= t && (p.end === null || p.end > t)) return p
  }
  return undefined
}

/** What a track is blocked on at `t` (a sleeping or blocked phase), or null. */
export function blockedAt(phases: readonly Phase[], t: number): BlockReason | null {
  const p = phaseAt(phases, t)
  return p && (p.kind === 'sleeping' || p.kind === 'blocked') ? (p.on ?? null) : null
}
