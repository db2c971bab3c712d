import { type Mark, MarkArray, type Marks, type Phase, type Wakeup } from '../model/derive.ts'
import { type Lane, type Layout, laneAt } from './layout.ts'
import { CONN_BAR } from './render/connection-track.ts'
import { firstStartingAt, type Geometry, inStartOrder, lowerBound, startsOf } from './render/context.ts'
import { LOOP_BAR } from './render/process-track.ts'
import type { TimeScale } from './time-scale.ts'

export interface Hit {
  lane: Lane
  t: number
  /** The pointer is over the label column. */
  onLabel: boolean
  mark?: Mark
  phase?: Phase
  wakeup?: Wakeup
}

/** Pixels within which the pointer picks an instant mark. */
const TOLERANCE_PX = 5
/** Marks looked at around the pointer, at most. */
const MAX_CANDIDATES = 512

/**
 * What is under the pointer at (x, y) in canvas CSS px: the lane, and on it the nearest
 * mark within a few pixels (on the side of the bar the pointer is on), else the phase.
 */
export function hitTest(layout: Layout, scale: TimeScale, g: Geometry, x: number, y: number, liveEnd: (run: string | null) => number): Hit | null {
  if (y < g.axisHeight || y > g.height) return null
  const contentY = y - g.axisHeight + g.scrollY
  const lane = laneAt(layout.lanes, contentY)
  if (!lane) return null
  const t = scale.toT(x)
  if (x < g.labelWidth || lane.kind === 'group') return { lane, t, onLabel: true }
  const tol = TOLERANCE_PX / scale.pxPerUs
  const hit: Hit = { lane, t, onLabel: false }

  if (lane.loop) {
    // Above the bar, the wake-ups; on it (or where no wake-up is near), what the loop's thread does.
    const onBar = contentY - lane.y >= LOOP_BAR.top - 1
    const wakeups = lane.loop.wakeups
    let best: Wakeup | undefined
    if (!onBar)
      for (let i = lowerBound(wakeups, t - tol); i < wakeups.length && wakeups[i]!.t <= t + tol; i++)
        if (!best || Math.abs(wakeups[i]!.t - t) < Math.abs(best.t - t)) best = wakeups[i]
    if (best) hit.wakeup = best
    else {
      const phase = phaseAt(lane.loop.phases, t, liveEnd(lane.run))
      if (phase) hit.phase = phase
    }
    return hit
  }

  const marks: Marks = lane.conn?.ticks ?? new MarkArray(lane.proc?.marks ?? lane.thread?.marks ?? [])
  const phases = lane.conn?.phases ?? lane.proc?.phases ?? lane.thread?.phases ?? []
  // In a connection lane, above the bar's middle is the server's side, below the client's.
  const side = lane.kind === 'conn' ? (contentY - lane.y < CONN_BAR.top + CONN_BAR.height / 2 ? 'server' : 'client') : null
  let best = -1
  let bestScore = Number.POSITIVE_INFINITY
  // (Zoomed far out, thousands of marks may be within the tolerance: the nearest few hundred on each side are enough.)
  const start = Math.max(marks.lowerBound(t - tol), marks.lowerBound(t) - MAX_CANDIDATES / 2)
  const last = Math.min(marks.length, start + MAX_CANDIDATES)
  for (let i = start; i < last && marks.t(i) <= t + tol; i++) {
    const score = Math.abs(marks.t(i) - t) + (side && marks.side(i) !== side ? tol * 0.75 : 0)
    if (score < bestScore) {
      best = i
      bestScore = score
    }
  }
  if (best >= 0) hit.mark = marks.mark(best) satisfies Mark
  const phase = phaseAt(phases, t, liveEnd(lane.run))
  if (phase) hit.phase = phase
  return hit
}

/** Phases that start before t and may still reach it, looked at (a lane's phases follow one another). */
const PHASE_WINDOW = 64

/**
 * The phase at time t; where phases touch or nest (a sleep inside running time), the
 * innermost. Phases in start order (all that derive.ts makes) are found by a binary search
 * and a look at the few before, so a loop's 500k phases cost a hover nothing.
 */
function phaseAt(phases: readonly Phase[], t: number, liveEnd: number): Phase | undefined {
  let from = 0
  let to = phases.length
  if (inStartOrder(phases)) {
    // Phases starting after t cannot hold it.
    to = firstStartingAt(startsOf(phases), t)
    while (to < phases.length && phases[to]!.start <= t) to++
    from = Math.max(0, to - PHASE_WINDOW)
  }
  let found: Phase | undefined
  for (let i = from; i < to; i++) {
    const phase = phases[i]!
    const end = phase.end ?? liveEnd
    if (t >= phase.start && t <= end) {
      found = phase
      if (phase.kind !== 'running' && phase.kind !== 'working') break
    }
  }
  return found
}
