/**
 * The visible time window and how pan and zoom change it: pure functions, so the
 * composable (usePanZoom) only turns wheel, drag and keys into calls to these.
 */
export interface Viewport {
  start: number
  end: number
}

/** Closest zoom: 20 µs across the view; widest: a day. */
export const MIN_SPAN_US = 20
export const MAX_SPAN_US = 86_400e6

export function span(v: Viewport): number {
  return v.end - v.start
}

/** Zoom by `factor` (< 1 zooms in) keeping time `anchor` under the same pixel. */
export function zoomAt(v: Viewport, factor: number, anchor: number): Viewport {
  const current = span(v)
  const next = clampSpan(current * factor)
  const ratio = current > 0 ? (anchor - v.start) / current : 0.5
  const start = anchor - ratio * next
  return { start, end: start + next }
}

export function panBy(v: Viewport, deltaUs: number): Viewport {
  return { start: v.start + deltaUs, end: v.end + deltaUs }
}

/** A window of the same span ending at `end`: what "follow live" shows. */
export function follow(v: Viewport, end: number): Viewport {
  const s = span(v)
  return { start: end - s, end }
}

/** A window around [from, to] with a margin on each side, for "fit" and "follow live (all)". */
export function fit(from: number, to: number, margin = 0.03): Viewport {
  const s = clampSpan(Math.max(to - from, 0))
  const pad = s * margin
  const mid = (from + to) / 2
  const half = Math.max(s, to - from) / 2 + pad
  return { start: mid - half, end: mid + half }
}

/** Wheel deltas to a zoom factor: smooth for trackpads, about 15% per mouse notch. */
export function wheelZoomFactor(deltaY: number, deltaMode = 0): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY
  return Math.exp(Math.max(-400, Math.min(400, px)) * 0.0015)
}

function clampSpan(s: number): number {
  return Math.min(MAX_SPAN_US, Math.max(MIN_SPAN_US, s))
}
