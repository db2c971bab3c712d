import type { Clock } from './clock.ts'
import type { EventBody, EventSource, SockscopeEvent } from './events.ts'

/**
 * Where a process sends its batches: process IPC, a worker port, or the lab in-process.
 * It calls `taken` once the batch has left this process's hands (written into the
 * channel's kernel buffer, or acknowledged by the process it went to); until then the
 * batch counts against the emitter's bound.
 */
export type BatchSink = (events: SockscopeEvent[], upTo: number, taken: () => void) => void

/**
 * Events a process may have sent that its channel has not taken yet. Past it the
 * process's gate closes: every handler waits before its next recv (and a client before
 * its next read) until half of them are taken, so a lab that falls behind slows the
 * servers and clients it records instead of letting their queues grow. What is already
 * under way still comes (one recv's worth of a handler's work per connection, a forked
 * child's batch on its way): nothing is dropped. ~8,000 events are 1–2 MB of JSON lines.
 */
export const EVENTS_IN_FLIGHT = 8192

/** The code of the notices a process emits when its gate closes and when it opens again. */
export const BACKLOG_CODE = 'EVENTS_BACKLOG'

/**
 * Whether a process's handlers may go on: a word in shared memory, so that a server's
 * handler threads see their host's gate and block at it (Atomics.wait), as the main
 * thread's handlers await it. Only the emitter that owns it opens and closes it.
 */
export class EventGate {
  readonly buffer: SharedArrayBuffer
  private readonly word: Int32Array
  private waiters: (() => void)[] = []

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.buffer = buffer
    this.word = new Int32Array(buffer)
  }

  get closed(): boolean {
    return Atomics.load(this.word, 0) === 1
  }

  close(): void {
    Atomics.store(this.word, 0, 1)
  }

  open(): void {
    Atomics.store(this.word, 0, 0)
    Atomics.notify(this.word, 0)
    for (const resume of this.waiters.splice(0)) resume()
  }

  /** On the owner's thread: undefined while open, else a promise that resolves when it opens. */
  whenOpen(): Promise<void> | undefined {
    if (!this.closed) return undefined
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** On another thread (a handler thread): block this thread while the gate is closed. */
  waitOpen(): void {
    while (Atomics.load(this.word, 0) === 1) Atomics.wait(this.word, 0, 1)
  }
}

export interface EmitterOptions {
  clock: Clock
  source: EventSource
  sink: BatchSink
  /** Flush at least this often while events are pending (ms). */
  intervalMs?: number
  /** Flush as soon as this many events are pending. */
  maxBatch?: number
  /** The bound on events sent and not yet taken (EVENTS_IN_FLIGHT). */
  maxInFlight?: number
  /**
   * Another emitter's gate to obey instead of one of its own (a handler thread's emitter
   * hands its batches to its host's main thread, whose channel is the bound).
   */
  gate?: EventGate
}

/**
 * Stamps events with time and source and ships them in batches: one message per few ms
 * or per few thousand events, never one message per event. Code about to block its
 * thread (a blocking sleep, a synchronous wait) calls flush() first, so that what
 * happened before the block is not held back by it.
 *
 * Bounded: it counts the events its sink has not taken yet, and past `maxInFlight` closes
 * its gate (see EVENTS_IN_FLIGHT), which handlers wait at before their next recv. It says
 * so in the recording: an EVENTS_BACKLOG notice when the gate closes, and another, with
 * how long it stayed closed, when it opens.
 */
export class EventEmitter {
  readonly clock: Clock
  readonly source: EventSource
  readonly gate: EventGate
  private readonly ownsGate: boolean
  private readonly sink: BatchSink
  private readonly maxBatch: number
  private readonly intervalMs: number
  private readonly maxInFlight: number
  private pending: SockscopeEvent[] = []
  private timer: NodeJS.Timeout | undefined
  private inFlight = 0
  private closedAt = 0
  private whenTaken: (() => void)[] = []

  constructor(options: EmitterOptions) {
    this.clock = options.clock
    this.source = options.source
    this.sink = options.sink
    this.maxBatch = options.maxBatch ?? 2000
    this.intervalMs = options.intervalMs ?? 8
    this.maxInFlight = options.maxInFlight ?? EVENTS_IN_FLIGHT
    this.ownsGate = !options.gate
    this.gate = options.gate ?? new EventGate()
  }

  /** Events handed to the sink and not yet taken. */
  get unsent(): number {
    return this.inFlight
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
    const count = batch.length
    this.inFlight += count
    if (this.ownsGate && !this.gate.closed && this.inFlight >= this.maxInFlight) this.closeGate()
    let taken = false
    this.sink(batch, this.clock.nowUs(), () => {
      if (taken) return
      taken = true
      this.inFlight -= count
      if (this.ownsGate && this.gate.closed && this.inFlight <= this.maxInFlight / 2) this.openGate()
      if (this.inFlight === 0) for (const resolve of this.whenTaken.splice(0)) resolve()
    })
  }

  /** Flush, and resolve once the sink has taken everything sent so far (a process about to exit). */
  drained(): Promise<void> {
    this.flush()
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.whenTaken.push(resolve))
  }

  private closeGate(): void {
    this.gate.close()
    this.closedAt = this.clock.nowUs()
    this.push(this.notice(
      `Sockscope's event channel from pid ${this.source.pid} is full (${this.inFlight} events sent, not yet taken): ` +
        'its handlers wait before their next read until it drains; no event is dropped',
    ))
  }

  private openGate(): void {
    const t = this.clock.nowUs()
    this.gate.open()
    this.push(this.notice(`Sockscope's event channel from pid ${this.source.pid} drained after ${Math.round((t - this.closedAt) / 1000)} ms: its handlers go on`, t))
  }

  private notice(message: string, t = this.clock.nowUs()): SockscopeEvent {
    return { kind: 'error', code: BACKLOG_CODE, message, t, src: this.source }
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
