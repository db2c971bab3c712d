/**
 * Time (µs on the lab's clock) ↔ pixels, for one drawn frame. Immutable: pan and zoom
 * make a new one. Like Perfetto's TimeScale, it knows nothing about what is drawn.
 */
export class TimeScale {
  readonly start: number
  readonly end: number
  readonly x0: number
  readonly x1: number

  constructor(start: number, end: number, x0: number, x1: number) {
    this.start = start
    this.end = end > start ? end : start + 1
    this.x0 = x0
    this.x1 = x1 > x0 ? x1 : x0 + 1
  }

  get span(): number {
    return this.end - this.start
  }

  get width(): number {
    return this.x1 - this.x0
  }

  get pxPerUs(): number {
    return this.width / this.span
  }

  toX(t: number): number {
    return this.x0 + (t - this.start) * this.pxPerUs
  }

  toT(x: number): number {
    return this.start + (x - this.x0) / this.pxPerUs
  }

  /** Width in px of a duration. */
  px(us: number): number {
    return us * this.pxPerUs
  }

  contains(t: number): boolean {
    return t >= this.start && t <= this.end
  }
}

/** The step (µs) of 1, 2 or 5 × 10ⁿ that gives about `target` ticks over `span`. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0) || !(target > 0)) return 1
  const raw = span / target
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (raw <= m * power) return m * power
  return 10 * power
}

export interface Tick {
  t: number
  x: number
  label: string
}

/**
 * Axis ticks over a scale: a nice step so labels are at least `minPx` apart, labels
 * relative to `origin` with the unit that suits the step.
 */
export function axisTicks(scale: TimeScale, origin: number, minPx = 90): Tick[] {
  const step = niceStep(scale.span, Math.max(1, Math.floor(scale.width / minPx)))
  const first = Math.ceil((scale.start - origin) / step) * step + origin
  const ticks: Tick[] = []
  for (let t = first; t <= scale.end + 1e-9; t += step) {
    ticks.push({ t, x: scale.toX(t), label: formatTime(t - origin, step) })
    if (ticks.length > 1000) break
  }
  return ticks
}

/** A time on the axis (µs), precise to the step: `0 s`, `1.5 s`, `250 ms`, `12 µs`. */
export function formatTime(us: number, step: number): string {
  const sign = us < 0 ? '−' : ''
  const v = Math.abs(us)
  if (step >= 1e6 || (v >= 1e6 && step >= 1e5)) return `${sign}${(v / 1e6).toFixed(decimals(step / 1e6))} s`
  if (step >= 1e3 || (v >= 1e3 && step >= 1e2)) return `${sign}${(v / 1e3).toFixed(decimals(step / 1e3))} ms`
  return `${sign}${v.toFixed(decimals(step))} µs`
}

/** A duration (µs) for people: `5.00 s`, `312 ms`, `1.2 ms`, `85 µs`. */
export function formatDuration(us: number): string {
  const v = Math.abs(us)
  // Thresholds on the value as it will be printed: 999.7 ms reads "1.00 s", not "1000 ms".
  if (v >= 999_500) return `${(us / 1e6).toFixed(v >= 1e8 ? 0 : 2)} s`
  if (v >= 9_950) return `${Math.round(us / 1e3)} ms`
  if (v >= 999.5) return `${(us / 1e3).toFixed(1)} ms`
  return `${Math.round(us)} µs`
}

/** A point in time relative to the origin, with ms precision: `5.123 s`. */
export function formatClock(us: number): string {
  return `${(us / 1e6).toFixed(3)} s`
}

function decimals(stepInUnit: number): number {
  if (stepInUnit >= 1) return 0
  return Math.min(6, Math.ceil(-Math.log10(stepInUnit) - 1e-9))
}
