import type { Clock } from '../clock.ts'
import type { SpareStart } from '../events.ts'

/**
 * Spares a fork or thread server keeps ready: enough for a burst of clients (a lesson's
 * workloads start 8 at once), few enough to cost little while idle.
 */
export const SPARES = 8

/**
 * How long the pool waits after a connection took a spare before it boots the next: not
 * in the middle of a burst, whose connections need the CPU more than the next one does.
 */
export const REFILL_QUIET_MS = 250

/**
 * A few handler processes or threads started ahead of time, so that a connection does
 * not wait for one to boot: a Node child process or a worker thread is a V8 isolate
 * starting (tens to hundreds of ms), where a fork() or a pthread_create() costs
 * microseconds. Each spare serves one connection and is gone with it, as the seeds'
 * children and threads are; the pool starts the next in the background, one at a time,
 * so that topping it up never puts several boots on the accept path at once.
 *
 * Bounded: at most `size` spares wait at any moment, and they count toward the server's
 * cap on live children or threads (--max-children, --max-threads), as the kernel counts
 * them: spares and busy handlers together never exceed it. When a burst takes them all,
 * the connections after it get the ones still starting (they wait for that boot, which
 * their timeline shows), then new ones.
 */
export interface SpareOptions<S> {
  size: number
  /** The server's cap: spares waiting plus handlers busy stay within it. */
  cap: number
  clock: Clock
  /** Start one spare; `ready` resolves once it can serve at once (its boot done), and rejects if it died first. */
  start(): { spare: S; ready: Promise<void> }
  /** Stop a spare that was never taken. */
  dispose(spare: S): void
}

export interface TakenSpare<S> {
  spare: S
  /** When it was started (µs on the run's clock): before this connection arrived, or for it when none was left. */
  startedAt: number
  /** Its boot, start → ready (µs); undefined while it is still booting. */
  startUs: number | undefined
  ready: Promise<void>
  /** Started before take() asked for it: a spare, not a start for this connection. */
  ahead: boolean
}

/** What a handler's start event says of the spare it was, or undefined if it was started for its connection. */
export function spareStart(taken: TakenSpare<unknown>, pool: number): SpareStart | undefined {
  if (!taken.ahead) return undefined
  return { startedAt: taken.startedAt, ...(taken.startUs !== undefined && { startUs: taken.startUs }), pool }
}

export class SparePool<S> {
  private readonly options: SpareOptions<S>
  private readonly waiting: TakenSpare<S>[] = []
  private topping = false
  private stopped = false
  private busy = 0
  private lastTake = Number.NEGATIVE_INFINITY
  private refill: NodeJS.Timeout | undefined
  private whenFull: (() => void)[] = []

  constructor(options: SpareOptions<S>) {
    this.options = options
    this.topUp()
  }

  get size(): number {
    return this.options.size
  }

  /** The spare for a new connection: a ready one if any, else the one that has been booting longest, else a new one. */
  take(): TakenSpare<S> {
    const ready = this.waiting.findIndex((e) => e.startUs !== undefined)
    const entry = ready >= 0 ? this.waiting.splice(ready, 1)[0]! : (this.waiting.shift() ?? this.launch(false))
    this.busy++
    this.lastTake = performance.now()
    this.topUp()
    return entry
  }

  /**
   * Resolves once the pool first holds all the spares it can (`size`, within the cap), each
   * booted; at once for a pool of none. For a caller that wants a fair start (compare: a
   * load that begins while the spares still boot meets those boots on its accept path).
   */
  full(): Promise<void> {
    if (this.isFull()) return Promise.resolve()
    return new Promise((resolve) => this.whenFull.push(resolve))
  }

  private isFull(): boolean {
    const room = Math.min(this.options.size, this.options.cap - this.busy)
    return this.stopped || (this.waiting.length >= room && this.waiting.every((e) => e.startUs !== undefined))
  }

  private checkFull(): void {
    if (this.whenFull.length && this.isFull()) for (const resolve of this.whenFull.splice(0)) resolve()
  }

  /** A taken spare's connection has ended (its process or thread is gone): room for another. */
  released(): void {
    this.busy = Math.max(0, this.busy - 1)
    this.topUp()
  }

  /** A spare that died while it waited (an exit, an error): it is not handed out. */
  lost(spare: S): void {
    const at = this.waiting.findIndex((e) => e.spare === spare)
    if (at >= 0) this.waiting.splice(at, 1)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.refill)
    for (const entry of this.waiting.splice(0)) this.options.dispose(entry.spare)
    this.checkFull()
  }

  private launch(ahead = true): TakenSpare<S> {
    const startedAt = this.options.clock.nowUs()
    const { spare, ready } = this.options.start()
    const entry: TakenSpare<S> = { spare, startedAt, startUs: undefined, ready, ahead }
    ready.then(
      () => {
        entry.startUs = this.options.clock.nowUs() - startedAt
        this.checkFull()
      },
      () => {
        this.lost(spare)
        this.checkFull()
      },
    )
    return entry
  }

  /** Start spares one after another until `size` wait; a spare that fails to start ends the round (no retry loop). */
  private topUp(): void {
    if (this.topping || this.stopped) return
    const quietFor = performance.now() - this.lastTake
    if (quietFor < REFILL_QUIET_MS) {
      this.refill ??= setTimeout(() => {
        this.refill = undefined
        this.topUp()
      }, REFILL_QUIET_MS - quietFor)
      this.refill.unref()
      return
    }
    this.topping = true
    const next = async () => {
      while (!this.stopped && this.waiting.length < this.options.size && this.busy + this.waiting.length < this.options.cap) {
        // A connection took one meanwhile: go on once the burst is over.
        if (performance.now() - this.lastTake < REFILL_QUIET_MS) break
        const entry = this.launch()
        this.waiting.push(entry)
        try {
          await entry.ready
        } catch {
          this.topping = false
          // No retry: a pool that cannot fill is as full as it gets.
          for (const resolve of this.whenFull.splice(0)) resolve()
          return
        }
      }
      this.topping = false
      if (!this.stopped && performance.now() - this.lastTake < REFILL_QUIET_MS) this.topUp()
    }
    void next()
  }
}
