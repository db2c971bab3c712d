/**
 * Calls `flush` at most once per animation frame however often `schedule` is called; a
 * timer stands in where frames do not come (a hidden tab).
 */
export class FrameBatcher {
  private scheduled = false
  private readonly flush: () => void
  private readonly fallbackMs: number

  constructor(flush: () => void, fallbackMs = 120) {
    this.flush = flush
    this.fallbackMs = fallbackMs
  }

  get pending(): boolean {
    return this.scheduled
  }

  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    let done = false
    const run = () => {
      if (done) return
      done = true
      this.scheduled = false
      this.flush()
    }
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run)
    setTimeout(run, this.fallbackMs)
  }
}
