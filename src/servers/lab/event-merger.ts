import type { SockscopeEvent } from '../events.ts'

/** The hold-back never grows past this: what a live view may lag behind the run at worst. */
export const MAX_HOLDBACK_US = 500_000
/** How much slack the hold-back keeps above the latest lag seen. */
const LAG_MARGIN = 1.25
/** Per tick, how much of the lag seen is kept: about 10 s to halve it at 16 ms ticks. */
const LAG_DECAY = 0.9989

/**
 * Merges batches from many processes into one stream ordered by time. Batches arrive a
 * while after their events happened (a few ms; tens of ms from a forked child, whose
 * batches go through its server host, on a busy machine), so the merger holds events back
 * and releases, in time order, everything older than that window.
 *
 * The window adapts: it starts at `baseHoldbackUs` and grows to 1.25× the longest lag
 * seen (arrival time minus the event's own time), up to MAX_HOLDBACK_US, then shrinks
 * back slowly once batches come in quickly again. On an idle machine the live view lags
 * by the base window only; on a loaded one it lags by what keeps the stream in order.
 *
 * What it guarantees: each release is in time order, and so is the whole stream, except
 * for an event that arrived after everything newer than it was released (from a process
 * that was stalled for longer than any seen before). Such an event is released at the
 * next tick and counted in `late`; consumers that need strict order sort by `t`.
 */
export class EventMerger {
  private pending: SockscopeEvent[] = []
  private timer: NodeJS.Timeout | undefined
  private readonly nowUs: () => number
  private readonly release: (batch: SockscopeEvent[]) => void
  private readonly baseHoldbackUs: number
  /** The longest lag seen lately (µs), decaying. */
  private lagUs = 0
  /** The newest time released so far. */
  private releasedUpTo = Number.NEGATIVE_INFINITY
  /** Events released after a newer one had been released already. */
  late = 0

  constructor(nowUs: () => number, release: (batch: SockscopeEvent[]) => void, baseHoldbackUs = 30_000, tickMs = 16) {
    this.nowUs = nowUs
    this.release = release
    this.baseHoldbackUs = baseHoldbackUs
    this.timer = setInterval(() => this.tick(), tickMs)
    this.timer.unref()
  }

  /** The window events are held back for now (µs). */
  get holdbackUs(): number {
    return Math.min(MAX_HOLDBACK_US, Math.max(this.baseHoldbackUs, this.lagUs * LAG_MARGIN))
  }

  add(events: readonly SockscopeEvent[]): void {
    const now = this.nowUs()
    for (const event of events) {
      this.pending.push(event)
      const lag = now - event.t
      if (lag > this.lagUs) this.lagUs = lag
    }
  }

  tick(): void {
    this.releaseUpTo(this.nowUs() - this.holdbackUs)
    this.lagUs *= LAG_DECAY
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
    for (const event of batch) if (event.t < this.releasedUpTo) this.late++
    this.releasedUpTo = Math.max(this.releasedUpTo, batch[n - 1]!.t)
    this.release(batch)
  }
}
