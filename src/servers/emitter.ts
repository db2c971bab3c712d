import type { Clock } from './clock.ts'
import type { EventBody, EventSource, SockscopeEvent } from './events.ts'

/** Where a process sends its batches: process IPC, a worker port, or the lab in-process. */
export type BatchSink = (events: SockscopeEvent[], upTo: number) => void

export interface EmitterOptions {
  clock: Clock
  source: EventSource
  sink: BatchSink
  /** Flush at least this often while events are pending (ms). */
  intervalMs?: number
  /** Flush as soon as this many events are pending. */
  maxBatch?: number
}

/**
 * Stamps events with time and source and ships them in batches: one message per few ms
 * or per few thousand events, never one message per event. Code about to block its
 * thread (a blocking sleep, a synchronous wait) calls flush() first, so that what
 * happened before the block is not held back by it.
 */
export class EventEmitter {
  readonly clock: Clock
  readonly source: EventSource
  private readonly sink: BatchSink
  private readonly maxBatch: number
  private readonly intervalMs: number
  private pending: SockscopeEvent[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(options: EmitterOptions) {
    this.clock = options.clock
    this.source = options.source
    this.sink = options.sink
    this.maxBatch = options.maxBatch ?? 2000
    this.intervalMs = options.intervalMs ?? 8
  }

  /** Stamp and queue one event; returns it (with its time) for callers that need it. */
  emit<E extends SockscopeEvent>(body: EventBody<E>, at?: number): E {
    const event = { ...body, t: at ?? this.clock.nowUs(), src: this.source } as unknown as E
    this.push(event)
    return event
  }

  /** Queue events that another process or thread already stamped (forwarded batches). */
  forward(events: SockscopeEvent[]): void {
    for (const event of events) this.push(event)
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const batch = this.pending
    this.pending = []
    this.sink(batch, this.clock.nowUs())
  }

  private push(event: SockscopeEvent): void {
    this.pending.push(event)
    if (this.pending.length >= this.maxBatch) this.flush()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs)
      this.timer.unref()
    }
  }
}
