/**
 * Where each row of a long list is, when most rows have one height and a few (measured as
 * they are drawn) are taller: row i starts at i × `estimate` plus what the measured rows
 * before it add. Costs grow with the rows measured, never with the rows in the list, so a
 * log of a million events that grows every frame lays out in microseconds (a virtualizer
 * that keeps one measurement object per row rebuilds them all whenever the count changes).
 *
 * Heights are kept by row index: appending rows keeps them; anything that moves rows (a
 * filter, a clear, a note placed among the events) must `reset()`, and the rows on screen
 * measure themselves again.
 */
export class RowHeights {
  readonly estimate: number
  private readonly maxMeasured: number
  /** Measured rows: index → height − estimate (only rows whose height differs). */
  private readonly extra = new Map<number, number>()
  /** The same, sorted by index, with running sums: built when asked after a change. */
  private sortedIndex = new Float64Array(0)
  private sortedSum = new Float64Array(0)
  private stale = false
  /** Bumped by every change to a height (for a reactive reader). */
  version = 0

  constructor(estimate: number, maxMeasured = 20_000) {
    this.estimate = estimate
    this.maxMeasured = maxMeasured
  }

  /** Row `index` is `height` tall; returns whether that changed anything. */
  measure(index: number, height: number): boolean {
    const delta = Math.round(height) - this.estimate
    const known = this.extra.get(index) ?? 0
    if (delta === known) return false
    // Bounded: past the cap, forget every measurement (the rows on screen measure again).
    if (this.extra.size >= this.maxMeasured && !this.extra.has(index)) this.extra.clear()
    if (delta === 0) this.extra.delete(index)
    else this.extra.set(index, delta)
    this.stale = true
    this.version++
    return true
  }

  reset(): void {
    if (this.extra.size === 0) return
    this.extra.clear()
    this.stale = true
    this.version++
  }

  /** Where row `index` starts (px from the top); `offset(count)` is the list's height. */
  offset(index: number): number {
    this.build()
    // The measured rows before `index`: how many of the sorted indices are below it.
    let lo = 0
    let hi = this.sortedIndex.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sortedIndex[mid]! < index) lo = mid + 1
      else hi = mid
    }
    return index * this.estimate + (lo === 0 ? 0 : this.sortedSum[lo - 1]!)
  }

  height(index: number): number {
    return this.estimate + (this.extra.get(index) ?? 0)
  }

  /** The row at `y` px from the top, of `count` rows (clamped to [0, count − 1]; 0 for none). */
  indexAt(y: number, count: number): number {
    if (count <= 0) return 0
    let lo = 0
    let hi = count - 1
    // The last row that starts at or above y.
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (this.offset(mid) <= y) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  private build(): void {
    if (!this.stale) return
    const indices = [...this.extra.keys()].sort((a, b) => a - b)
    this.sortedIndex = new Float64Array(indices)
    this.sortedSum = new Float64Array(indices.length)
    let sum = 0
    indices.forEach((index, i) => {
      sum += this.extra.get(index)!
      this.sortedSum[i] = sum
    })
    this.stale = false
  }
}

/** The rows to draw for a viewport from `top` to `top + height`: [start, end), with `overscan` rows either side. */
export function visibleRows(heights: RowHeights, count: number, top: number, height: number, overscan: number): { start: number; end: number } {
  if (count <= 0) return { start: 0, end: 0 }
  const first = heights.indexAt(Math.max(0, top), count)
  const last = heights.indexAt(top + Math.max(0, height), count)
  return { start: Math.max(0, first - overscan), end: Math.min(count, last + 1 + overscan) }
}
