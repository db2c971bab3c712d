import type { Phase } from '../../model/derive.ts'
import { isHatched, type Palette, phaseColor } from '../palette.ts'
import type { TimeScale } from '../time-scale.ts'

/** Where things are on the canvas (CSS px). Content y 0 is the top of the first lane. */
export interface Geometry {
  width: number
  height: number
  labelWidth: number
  axisHeight: number
  scrollY: number
}

export const GEOMETRY_DEFAULTS = { labelWidth: 196, axisHeight: 30 }

/** Everything a track's render function needs for one frame. */
export interface RenderContext {
  ctx: CanvasRenderingContext2D
  scale: TimeScale
  palette: Palette
  geometry: Geometry
  /** Axis labels are relative to this time (µs). */
  origin: number
  /** Where phases that are still going end: the lab's now for live runs, else when the run ended. */
  liveEnd(run: string | null): number
  selectedConn: string | null
  font: string
  patterns: Map<string, CanvasPattern | string>
  /** A connection's name on the timeline (`#3`), for labels that name one. */
  connLabel?: (conn: string) => string | undefined
}

export function screenY(g: Geometry, contentY: number): number {
  return g.axisHeight + contentY - g.scrollY
}

/** Diagonal stripes in `color` over a faint fill of it: waiting and zombie time. */
export function hatch(rc: RenderContext, color: string): CanvasPattern | string {
  const key = `hatch:${color}`
  const cached = rc.patterns.get(key)
  if (cached) return cached
  let pattern: CanvasPattern | string = color
  if (typeof document !== 'undefined') {
    const tile = document.createElement('canvas')
    const size = 8 * Math.max(1, Math.round(globalThis.devicePixelRatio || 1))
    tile.width = tile.height = size
    const c = tile.getContext('2d')
    if (c) {
      c.fillStyle = withAlpha(color, 0.28)
      c.fillRect(0, 0, size, size)
      c.strokeStyle = withAlpha(color, 0.95)
      c.lineWidth = size / 5
      c.beginPath()
      for (const o of [-size, 0, size]) {
        c.moveTo(o, size)
        c.lineTo(o + size, 0)
      }
      c.stroke()
      pattern = rc.ctx.createPattern(tile, 'repeat') ?? color
      if (typeof pattern !== 'string' && size !== 8) pattern.setTransform(new DOMMatrix().scale(8 / size))
    }
  }
  rc.patterns.set(key, pattern)
  return pattern
}

/** `#rrggbb` with an alpha, for tints of palette colours. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color)
  if (!m) return color
  const n = Number.parseInt(m[1]!, 16)
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`
}

/** Draw a phase as a bar between top and top+height; returns its x extent on screen. */
export function drawPhase(rc: RenderContext, phase: Phase, run: string | null, top: number, height: number): [number, number] | null {
  const { scale, ctx, geometry } = rc
  const end = phase.end ?? Math.max(phase.start, rc.liveEnd(run))
  if (end < scale.start || phase.start > scale.end) return null
  const x0 = Math.max(geometry.labelWidth, scale.toX(phase.start))
  const x1 = Math.min(geometry.width, scale.toX(end))
  const w = Math.max(1, x1 - x0)
  const color = phaseColor(rc.palette, phase)
  ctx.fillStyle = isHatched(phase.kind) ? hatch(rc, color) : color
  ctx.fillRect(x0, top, w, height)
  return [x0, x0 + w]
}

/** Whether phases are in start order (cached per array: tracks are rebuilt, not changed, when events arrive). */
const sortedPhases = new WeakMap<readonly Phase[], boolean>()
export function inStartOrder(phases: readonly Phase[]): boolean {
  let sorted = sortedPhases.get(phases)
  if (sorted === undefined) {
    sorted = true
    for (let i = 1; i < phases.length && sorted; i++) if (phases[i]!.start < phases[i - 1]!.start) sorted = false
    sortedPhases.set(phases, sorted)
  }
  return sorted
}

/**
 * Phases' starts as one Float64Array (cached per array): the searches below probe it a few
 * thousand times a frame, and 500k phase objects scattered over the heap would make each
 * probe a cache miss.
 */
const phaseStarts = new WeakMap<readonly Phase[], Float64Array>()
export function startsOf(phases: readonly Phase[]): Float64Array {
  let starts = phaseStarts.get(phases)
  if (!starts) {
    starts = new Float64Array(phases.length)
    for (let i = 0; i < phases.length; i++) starts[i] = phases[i]!.start
    phaseStarts.set(phases, starts)
  }
  return starts
}

/** First index at or after `lo` whose start is at or after t (starts in order): galloping from lo, since a frame's searches move left to right. */
export function firstStartingAt(starts: Float64Array, t: number, lo = 0): number {
  let step = 1
  let hi = lo
  while (hi < starts.length && starts[hi]! < t) {
    lo = hi + 1
    hi = lo + step
    step *= 2
  }
  hi = Math.min(hi, starts.length)
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (starts[mid]! < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * A lane's phases in view, as bars (drawPhase), each wide one handed to `each` with its
 * span (for its label). Where phases are narrower than a pixel (a loop's 100k waits,
 * zoomed out), each pixel column is drawn once, in the colour of the phase at its middle,
 * and the column's other phases are skipped by a binary search: the cost follows the
 * canvas's width, not the number of phases (the level of detail Perfetto draws with).
 * Phases out of start order (none that derive.ts makes) are drawn one by one.
 */
export function drawPhases(rc: RenderContext, phases: readonly Phase[], run: string | null, top: number, height: number, each?: (phase: Phase, span: [number, number]) => void): void {
  const { scale, ctx } = rc
  const sorted = inStartOrder(phases)
  const starts = sorted ? startsOf(phases) : new Float64Array(0)
  let i = 0
  if (sorted) {
    // From the first phase that may reach into view: the one before the first starting in it.
    i = firstStartingAt(starts, scale.start)
    for (let back = 0; i > 0 && back < 64 && (phases[i - 1]!.end ?? Number.POSITIVE_INFINITY) >= scale.start; back++) i--
  }
  const left = rc.geometry.labelWidth
  // Narrow columns of one fill side by side are drawn as one rect, and the fill is set only
  // when it changes (a canvas parses every colour it is given).
  let runFrom = 0
  let runTo = 0
  let runFill: CanvasPattern | string | null = null
  const flush = () => {
    if (runFill === null) return
    ctx.fillStyle = runFill
    ctx.fillRect(runFrom, top, runTo - runFrom, height)
    runFill = null
  }
  /** Left of this, the columns are drawn: a phase kept from the last column's skip starts at it. */
  let drawnTo = Number.NEGATIVE_INFINITY
  while (i < phases.length) {
    const phase = phases[i]!
    if (sorted && phase.start > scale.end) break
    const end = phase.end ?? Math.max(phase.start, rc.liveEnd(run))
    const x0 = Math.max(scale.toX(phase.start), drawnTo)
    const x1 = scale.toX(end)
    if (!sorted || x1 - x0 >= 1 || end < scale.start) {
      flush()
      const span = drawPhase(rc, phase, run, top, height)
      if (span && each) each(phase, span)
      i++
      continue
    }
    // Narrower than a pixel: this column shows the phase at its middle, once.
    const px = Math.floor(x0)
    const middle = scale.toT(px + 0.5)
    let at = firstStartingAt(starts, middle, i) - 1
    if (at < i || (phases[at]!.end ?? Number.POSITIVE_INFINITY) < middle) at = i
    if (px + 1 > left) {
      const shown = phases[at]!
      const color = phaseColor(rc.palette, shown)
      const fill = isHatched(shown.kind) ? hatch(rc, color) : color
      const from = Math.max(left, px)
      if (fill === runFill && from <= runTo) runTo = px + 1
      else {
        flush()
        runFill = fill
        runFrom = from
        runTo = px + 1
      }
    }
    // Skip the other phases that start in this column: they are narrow, bar the last one,
    // which may reach far past it (a 0.5 s sleep after a 1 µs run) and is drawn, not skipped.
    const columnEnd = scale.toT(px + 1)
    let next = Math.max(i + 1, firstStartingAt(starts, columnEnd, i))
    if (next - 1 > i && (phases[next - 1]!.end ?? Number.POSITIVE_INFINITY) > columnEnd) next--
    drawnTo = px + 1
    i = next
  }
  flush()
}

/** Text inside a bar when it fits. */
export function barText(rc: RenderContext, text: string, x0: number, x1: number, midY: number, color: string, inset = 4): void {
  const { ctx } = rc
  // Keep clear of the label column and of a glyph at the bar's start.
  const left = Math.max(x0, rc.geometry.labelWidth) + inset
  const room = x1 - left - 4
  if (room < 24) return
  let shown = text
  if (ctx.measureText(shown).width > room) {
    // Cut at a word: "sleep 5.00 s" becomes "sleep", never "sl…" (nor "sleep 5.00": a
    // number keeps its unit).
    const words = labelWords(text)
    shown = ''
    for (const word of words) {
      const next = shown ? `${shown} ${word}` : word
      if (ctx.measureText(next).width > room) break
      shown = next
    }
    if (!shown) return
  }
  ctx.fillStyle = color
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.fillText(shown, left, midY + 0.5)
}

/** A label's words for cutting, each number with its unit: `zombie 490 ms` → ['zombie', '490 ms']. */
export function labelWords(text: string): string[] {
  const words: string[] = []
  for (const word of text.split(' ')) {
    if (/^(s|ms|µs|B|KB|MB)$/.test(word) && words.length && /\d$/.test(words[words.length - 1]!)) words[words.length - 1] += ` ${word}`
    else words.push(word)
  }
  return words
}

const itemTimes = new WeakMap<readonly { t: number }[], Float64Array>()

/** The times of a t-sorted array (a loop's wake-ups) as one Float64Array, cached per array, for searches that must not chase objects. */
export function timesOf(items: readonly { t: number }[]): Float64Array {
  let times = itemTimes.get(items)
  if (!times) {
    times = new Float64Array(items.length)
    for (let i = 0; i < items.length; i++) times[i] = items[i]!.t
    itemTimes.set(items, times)
  }
  return times
}

/** First index at or after `lo` whose time is at or after t (times in order), galloping from lo. */
export function firstAtOrAfter(times: Float64Array, t: number, lo = 0): number {
  return firstStartingAt(times, t, lo)
}

/** First index in a t-sorted array whose t ≥ t0. */
export function lowerBound<T extends { t: number }>(items: readonly T[], t0: number): number {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (items[mid]!.t < t0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Height of a recv/send tick: grows with the log of the bytes, 3–8 px. */
export function tickHeight(bytes: number, max = 8): number {
  return Math.min(max, 3 + Math.log2(1 + Math.max(0, bytes)) * 0.6)
}

export type Glyph = 'circle' | 'square' | 'triangle-right' | 'triangle-down' | 'triangle-up' | 'cross' | 'diamond'

export function glyph(ctx: CanvasRenderingContext2D, kind: Glyph, x: number, y: number, r: number, color: string): void {
  ctx.fillStyle = color
  ctx.strokeStyle = color
  ctx.beginPath()
  switch (kind) {
    case 'circle':
      ctx.arc(x, y, r, 0, Math.PI * 2)
      ctx.fill()
      return
    case 'square':
      ctx.fillRect(x - r, y - r, r * 2, r * 2)
      return
    case 'triangle-right':
      ctx.moveTo(x - r * 0.6, y - r)
      ctx.lineTo(x + r, y)
      ctx.lineTo(x - r * 0.6, y + r)
      break
    case 'triangle-down':
      ctx.moveTo(x - r, y - r * 0.7)
      ctx.lineTo(x + r, y - r * 0.7)
      ctx.lineTo(x, y + r)
      break
    case 'triangle-up':
      ctx.moveTo(x - r, y + r * 0.7)
      ctx.lineTo(x + r, y + r * 0.7)
      ctx.lineTo(x, y - r)
      break
    case 'diamond':
      ctx.moveTo(x, y - r)
      ctx.lineTo(x + r, y)
      ctx.lineTo(x, y + r)
      ctx.lineTo(x - r, y)
      break
    case 'cross':
      ctx.lineWidth = 1.6
      ctx.moveTo(x - r, y - r)
      ctx.lineTo(x + r, y + r)
      ctx.moveTo(x + r, y - r)
      ctx.lineTo(x - r, y + r)
      ctx.stroke()
      return
  }
  ctx.closePath()
  ctx.fill()
}
