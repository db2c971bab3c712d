import type { SockscopeEvent } from '../events.ts'

/**
 * Merges batches from many processes into one stream ordered by time. Batches arrive a
 * few ms after their events happened, so the merger holds events back for a short window
 * and releases, in time order, everything older than that window. An event that arrives
 * later than the window (from a process that was blocked) is released at the next tick,
 * still sorted within its batch; consumers that need strict order sort by `t`.
 */
export class EventMerger {
  private pending: SockscopeEvent[] = []
  private timer: NodeJS.Timeout | undefined
  private readonly nowUs: () => number
  private readonly release: (batch: SockscopeEvent[]) => void
  private readonly holdbackUs: number

  constructor(nowUs: () => number, release: (batch: SockscopeEvent[]) => void, holdbackUs = 30_000, tickMs = 16) {
    this.nowUs = nowUs
    this.release = release
    this.holdbackUs = holdbackUs
    this.timer = setInterval(() => this.tick(), tickMs)
    this.timer.unref()
  }

  add(events: readonly SockscopeEvent[]): void {
    for (const event of events) this.pending.push(event)
  }

  tick(): void {
    this.releaseUpTo(this.nowUs() - this.holdbackUs)
  }

  /**
   * Resolve once everything added so far is released, in order: wait out the holdback
   * window, so that batches still in flight from other processes are merged first.
   */
  async settle(): Promise<void> {
    const upTo = this.nowUs()
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(this.holdbackUs / 1000) + 1))
    this.releaseUpTo(Math.max(upTo, this.nowUs() - this.holdbackUs))
  }

  /** Release everything now (on stop). */
  flush(): void {
    this.releaseUpTo(Number.POSITIVE_INFINITY)
  }

  dispose(): void {
    this.flush()
    clearInterval(this.timer)
  }

  private releaseUpTo(limit: number): void {
    if (this.pending.length === 0) return
    this.pending.sort((a, b) => a.t - b.t)
    let n = 0
    while (n < this.pending.length && this.pending[n]!.t <= limit) n++
    if (n === 0) return
    const batch = this.pending.slice(0, n)
    this.pending = this.pending.slice(n)
    this.release(batch)
  }
}
