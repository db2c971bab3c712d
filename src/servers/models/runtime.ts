import type net from 'node:net'
import type { AppOp, Handler, OpResult } from '../apps/app.ts'
import { preview } from '../connection-id.ts'
import type { EventEmitter } from '../emitter.ts'
import type { BlockCause, BlockReason, ConnId, Waiter } from '../events.ts'
import { READ_AHEAD_BYTES } from './bounds.ts'
import type { AsyncMutex, BlockingMutex, Mutex, World } from './world.ts'

/**
 * The three interpreters of app operations:
 *  - runAsync awaits them (a forked child, the iterative server, an asyncio task);
 *  - runBlocking blocks its thread on them (a worker thread);
 *  - SteppedHandler runs a handler only as far as it can go without waiting, and is
 *    resumed by an event loop when the socket is ready (select, reactor).
 * All three emit the same block / unblock / lock / state / phase events.
 */

export interface RunContext<M extends Mutex = Mutex> {
  emitter: EventEmitter
  conn: ConnId
  /** The memory and locks the app's read / write / lock ops touch. */
  world: World<M>
  /**
   * Who waits at the handler's waits (see Waiter in events.ts): the thread (default: a
   * forked child, the iterative server, a worker thread), or only this task (asyncio).
   */
  waiter?: Waiter
  /** asyncio: the loop, told when this task stops at an await and when it goes on. */
  tasks?: TaskSwitches
}

/**
 * An event loop's view of its tasks (asyncio): told when a task stops at an await and
 * when it goes on, so that it knows when none is running and it waits in select().
 */
export interface TaskSwitches {
  /**
   * The task stops at an await on `on` (`sleepMs`: a sleep, a timer the loop keeps for
   * it). Call the returned function when the task goes on.
   */
  suspend(conn: ConnId, on: BlockReason, sleepMs?: number): () => void
}

/** The waiter field of an event: absent for the default, a thread. */
const whoWaits = (waiter: Waiter | undefined): { waiter?: Waiter } => (waiter === 'task' ? { waiter } : {})

/** How a handler ended, for the close event. */
export type HandlerEnd = 'local' | 'peer' | 'error'

export interface AsyncConnIo {
  /** Resolves with up to `max` bytes, or an empty array at EOF; `waited` says it had to wait. */
  recv(max: number): Promise<{ data: Uint8Array; waited: boolean }>
  /** Nothing if the bytes were taken at once; a promise if the sender must wait for room. */
  send(data: Uint8Array): Promise<void> | void
}

export interface BlockingConnIo {
  /** Blocks the calling thread until bytes or EOF arrive. */
  recv(max: number): { data: Uint8Array; waited: boolean }
  /** Blocks the calling thread while there is no room for the bytes; `onBlocked` is called once, before it waits. */
  send(data: Uint8Array, onBlocked: () => void): void
  sleep(ms: number): void
}

/** Put the calling thread to sleep in the kernel (time.sleep): nothing else runs on it meanwhile. */
export function sleepThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function blocked(ctx: RunContext, on: BlockReason, waiter = ctx.waiter, cause?: BlockCause): number {
  return ctx.emitter.emit({ kind: 'block', conn: ctx.conn, on, ...whoWaits(waiter), ...(cause ? { cause } : {}) }).t
}

function unblocked(ctx: RunContext, on: BlockReason, startedAt: number, waiter = ctx.waiter): void {
  const t = ctx.emitter.clock.nowUs()
  ctx.emitter.emit({ kind: 'unblock', conn: ctx.conn, on, blockedUs: t - startedAt, ...whoWaits(waiter) }, t)
}

/**
 * What one handler is doing with locks and state. The operations here never wait, so
 * every interpreter performs them the same way.
 */
class HandlerState {
  private readonly held = new Set<string>()
  private readonly ctx: RunContext
  private readonly waiter: Waiter | undefined

  constructor(ctx: RunContext, waiter = ctx.waiter) {
    this.ctx = ctx
    this.waiter = waiter
  }

  immediate(op: AppOp): OpResult {
    const { emitter, conn, world } = this.ctx
    switch (op.op) {
      case 'read': {
        const value = world.state.read(op.key)
        emitter.emit({ kind: 'state', conn, access: 'read', key: op.key, value, memory: world.state.memory })
        return value
      }
      case 'write':
        world.state.write(op.key, op.value)
        emitter.emit({ kind: 'state', conn, access: 'write', key: op.key, value: op.value, memory: world.state.memory })
        return undefined
      case 'unlock':
        if (!this.held.delete(op.name)) throw Object.assign(new Error(`unlock of '${op.name}', which this connection does not hold`), { code: 'LOCK_NOT_HELD' })
        // Stamped before the release, so the next holder's acquire can never appear to come first.
        emitter.emit({ kind: 'lock-release', conn, lock: op.name })
        world.mutex(op.name).release()
        return undefined
      case 'phase':
        emitter.emit({ kind: 'phase', conn, phase: op.phase, edge: op.edge })
        return undefined
      case 'error':
        emitter.emit({ kind: 'error', conn, code: op.code, message: op.message })
        return undefined
      default:
        throw new Error(`operation '${op.op}' is not immediate`)
    }
  }

  /** Try the lock without waiting; on success it is held and traced. */
  tryLock(name: string): boolean {
    if (!this.ctx.world.mutex(name).tryAcquire()) return false
    this.acquired(name, undefined)
    return true
  }

  /** Trace that we must wait; returns when the wait began. */
  waitingFor(name: string): number {
    return this.ctx.emitter.emit({ kind: 'lock-wait', conn: this.ctx.conn, lock: name, ...whoWaits(this.waiter) }).t
  }

  acquired(name: string, waitedSince: number | undefined): void {
    this.held.add(name)
    const t = this.ctx.emitter.clock.nowUs()
    const waitedUs = waitedSince === undefined ? 0 : t - waitedSince
    this.ctx.emitter.emit({ kind: 'lock-acquire', conn: this.ctx.conn, lock: name, waitedUs, ...(waitedSince === undefined ? {} : whoWaits(this.waiter)) }, t)
  }

  /** A handler that ends holding a lock must not leave every other connection waiting for it. */
  releaseAll(): void {
    for (const name of [...this.held]) this.immediate({ op: 'unlock', name })
  }
}

/** Step input: the value to resume the handler with, or an error to throw into it. */
type Input = { value: OpResult } | { error: unknown }

function resume(handler: Handler, input: Input) {
  return 'error' in input ? handler.throw(input.error) : handler.next(input.value)
}

export async function runAsync(handler: Handler, io: AsyncConnIo, ctx: RunContext<AsyncMutex>): Promise<HandlerEnd> {
  const { emitter, conn, world, tasks } = ctx
  const state = new HandlerState(ctx)
  /** Wait for `until` at an await: the loop, if it watches, knows that this task is not running meanwhile. */
  const awaitOn = async <T>(on: BlockReason, until: () => Promise<T>, sleepMs?: number): Promise<T> => {
    const resumed = tasks?.suspend(conn, on, sleepMs)
    try {
      return await until()
    } finally {
      resumed?.()
    }
  }
  let sawEof = false
  let input: Input = { value: undefined }
  try {
    while (true) {
      const step = resume(handler, input)
      if (step.done) return sawEof ? 'peer' : 'local'
      const op = step.value
      try {
        if (op.op === 'recv') {
          const blockedAt = blocked(ctx, 'recv')
          // The event channel full (emitter.ts): the handler reads on once it has drained.
          const { data } = await awaitOn('recv', async () => {
            await emitter.gate.whenOpen()
            return io.recv(op.max)
          })
          unblocked(ctx, 'recv', blockedAt)
          if (data.byteLength === 0) sawEof = true
          else emitter.emit({ kind: 'recv', conn, bytes: data.byteLength, preview: preview(data) })
          input = { value: data }
        } else if (op.op === 'send') {
          emitter.emit({ kind: 'send', conn, bytes: op.data.byteLength, preview: preview(op.data) })
          const room = io.send(op.data)
          if (room) {
            const blockedAt = blocked(ctx, 'send', ctx.waiter, 'peer-not-reading')
            await awaitOn('send', () => room)
            unblocked(ctx, 'send', blockedAt)
          }
          input = { value: undefined }
        } else if (op.op === 'sleep') {
          const blockedAt = blocked(ctx, 'sleep')
          await awaitOn('sleep', () => new Promise((resolve) => setTimeout(resolve, op.ms)), op.ms)
          unblocked(ctx, 'sleep', blockedAt)
          input = { value: undefined }
        } else if (op.op === 'lock') {
          if (!state.tryLock(op.name)) {
            const since = state.waitingFor(op.name)
            await awaitOn('lock', () => world.mutex(op.name).acquire().granted)
            state.acquired(op.name, since)
          }
          input = { value: undefined }
        } else input = { value: state.immediate(op) }
      } catch (err) {
        input = { error: err }
      }
    }
  } finally {
    state.releaseAll()
  }
}

export function runBlocking(handler: Handler, io: BlockingConnIo, ctx: RunContext<BlockingMutex>): HandlerEnd {
  const { emitter, conn, world } = ctx
  const state = new HandlerState(ctx)
  let sawEof = false
  let input: Input = { value: undefined }
  try {
    while (true) {
      const step = resume(handler, input)
      if (step.done) return sawEof ? 'peer' : 'local'
      const op = step.value
      try {
        if (op.op === 'recv') {
          const blockedAt = blocked(ctx, 'recv')
          // Events queued so far must leave before this thread sleeps in the kernel.
          emitter.flush()
          // The host's event channel full (emitter.ts): this thread sleeps until it drains.
          emitter.gate.waitOpen()
          const { data } = io.recv(op.max)
          unblocked(ctx, 'recv', blockedAt)
          if (data.byteLength === 0) sawEof = true
          else emitter.emit({ kind: 'recv', conn, bytes: data.byteLength, preview: preview(data) })
          input = { value: data }
        } else if (op.op === 'send') {
          emitter.emit({ kind: 'send', conn, bytes: op.data.byteLength, preview: preview(op.data) })
          let blockedAt: number | undefined
          try {
            io.send(op.data, () => {
              blockedAt = blocked(ctx, 'send', ctx.waiter, 'peer-not-reading')
              emitter.flush()
            })
          } finally {
            if (blockedAt !== undefined) unblocked(ctx, 'send', blockedAt)
          }
          input = { value: undefined }
        } else if (op.op === 'sleep') {
          const blockedAt = blocked(ctx, 'sleep')
          emitter.flush()
          io.sleep(op.ms)
          unblocked(ctx, 'sleep', blockedAt)
          input = { value: undefined }
        } else if (op.op === 'lock') {
          if (!state.tryLock(op.name)) {
            const since = state.waitingFor(op.name)
            emitter.flush()
            world.mutex(op.name).acquireBlocking()
            state.acquired(op.name, since)
          }
          input = { value: undefined }
        } else input = { value: state.immediate(op) }
      } catch (err) {
        input = { error: err }
      }
    }
  } finally {
    state.releaseAll()
  }
}

/** What an event loop gives a SteppedHandler to work with. */
export interface StepIo {
  /** Up to `max` bytes that are there now, an empty array at EOF, or undefined: none yet. Throws on a broken connection. */
  recv(max: number): Uint8Array | undefined
  /**
   * Hand bytes to the connection; whether this blocks the thread is the loop's choice.
   * True: the bytes were taken, but the connection's output is over its bound (the peer
   * is not reading): the handler waits until the loop calls roomToSend().
   */
  send(data: Uint8Array): boolean
  /**
   * Whether sleep() blocks the thread (select's time.sleep: the whole loop stops) or only
   * arranges a wake-up (reactor's callLater: only this handler waits).
   */
  readonly blockingSleep: boolean
  /** Either sleep right here, blocking the thread (returns true), or arrange for `wake` to be called (returns false). */
  sleep(ms: number, wake: () => void): boolean
  /** Run `fn` from the loop soon: a handler is never resumed from inside another one. */
  later(fn: () => void): void
}

export type Waiting = 'recv' | 'send' | 'sleep' | 'lock'

export interface SteppedOptions {
  /** Trace each wait for bytes as block / unblock (select: a connection waits for readiness). */
  traceRecvWaits: boolean
  /** Called after the handler moved on by itself (a sleep ended, a lock was granted). */
  onResumed(): void
}

/**
 * A handler run by an event loop: advance() runs it until it needs something that is not
 * there yet (bytes, the end of a sleep, a lock), then returns, and the loop calls
 * advance() again when the socket is readable. It never throws: a failure ends the
 * handler with `end === 'error'` and `failure` set.
 */
export class SteppedHandler {
  waiting: Waiting | undefined
  end: HandlerEnd | undefined
  failure: Error | undefined
  private readonly handler: Handler
  private readonly io: StepIo
  private readonly ctx: RunContext<AsyncMutex>
  private readonly options: SteppedOptions
  private readonly state: HandlerState
  private started = false
  private sawEof = false
  private waitingSince = 0
  private pendingRecv = 0
  private cancelWait: (() => void) | undefined
  /** Waiting in recv for the event channel to drain (emitter.ts), not for bytes. */
  private held = false

  constructor(handler: Handler, io: StepIo, ctx: RunContext<AsyncMutex>, options: SteppedOptions) {
    this.handler = handler
    this.io = io
    this.ctx = ctx
    this.options = options
    // A parked handler's lock wait is its own: the loop goes on meanwhile.
    this.state = new HandlerState(ctx, 'task')
  }

  get done(): boolean {
    return this.end !== undefined
  }

  /** Waiting for bytes: the loop should watch its socket for them (not while held at the event gate). */
  get wantsBytes(): boolean {
    return this.waiting === 'recv' && !this.held
  }

  /** Start the handler, or retry the recv it waits on. */
  advance(): void {
    if (this.done) return
    if (!this.started) {
      this.started = true
      return this.drive({ value: undefined })
    }
    if (this.waiting !== 'recv' || this.held) return
    if (this.ctx.emitter.gate.closed) return this.hold()
    let data: Uint8Array | undefined
    try {
      data = this.io.recv(this.pendingRecv)
    } catch (err) {
      this.stopWaiting()
      return this.drive({ error: err })
    }
    if (data === undefined) return
    this.stopWaiting()
    this.drive({ value: this.received(data) })
  }

  /** The output it waited on is down to its bound again: the handler goes on after its send. */
  roomToSend(): void {
    if (this.done || this.waiting !== 'send') return
    this.stopWaiting()
    this.drive({ value: undefined })
  }

  /** The connection is gone: throw that into the handler wherever it waits, so its finally blocks run. */
  abort(error: Error): void {
    if (this.done) return
    if (!this.started) {
      this.end = 'error'
      this.failure = error
      return
    }
    this.cancelWait?.()
    this.stopWaiting()
    this.drive({ error })
  }

  private drive(first: Input): void {
    let input = first
    try {
      while (true) {
        const step = resume(this.handler, input)
        if (step.done) return this.finish(this.sawEof ? 'peer' : 'local')
        const next = this.perform(step.value)
        if (next === undefined) return
        input = next
      }
    } catch (err) {
      this.finish('error', err as Error)
    }
  }

  /** Perform one operation: its input for the handler, or undefined when it must wait. */
  private perform(op: AppOp): Input | undefined {
    const { emitter, conn, world } = this.ctx
    try {
      switch (op.op) {
        case 'recv': {
          const gated = emitter.gate.closed
          const data = gated ? undefined : this.io.recv(op.max)
          if (data !== undefined) return { value: this.received(data) }
          this.pendingRecv = op.max
          this.waiting = 'recv'
          // Parked until its socket is readable: only this handler waits, the loop goes on.
          this.waitingSince = this.options.traceRecvWaits ? blocked(this.ctx, 'recv', 'task') : -1
          if (gated) this.hold()
          return undefined
        }
        case 'send':
          if (!this.io.send(op.data)) return { value: undefined }
          this.waiting = 'send'
          // Only this handler waits for the peer to drain: the loop goes on serving the others.
          this.waitingSince = blocked(this.ctx, 'send', 'task', 'peer-not-reading')
          return undefined
        case 'sleep': {
          const waiter: Waiter = this.io.blockingSleep ? 'thread' : 'task'
          const blockedAt = blocked(this.ctx, 'sleep', waiter)
          const slept = this.io.sleep(op.ms, () => this.resumeLater({ value: undefined }))
          if (slept) {
            unblocked(this.ctx, 'sleep', blockedAt, waiter)
            return { value: undefined }
          }
          this.waiting = 'sleep'
          this.waitingSince = blockedAt
          return undefined
        }
        case 'lock': {
          if (this.state.tryLock(op.name)) return { value: undefined }
          const since = this.state.waitingFor(op.name)
          const { granted, cancel } = world.mutex(op.name).acquire()
          this.waiting = 'lock'
          this.cancelWait = cancel
          void granted.then(() =>
            this.io.later(() => {
              if (this.waiting !== 'lock') return
              this.state.acquired(op.name, since)
              this.resumeLater({ value: undefined })
            }),
          )
          return undefined
        }
        default:
          return { value: this.state.immediate(op) }
      }
    } catch (err) {
      return { error: err }
    }
  }

  /** Parked in its recv until the event channel drains (emitter.ts); then it reads on from the loop. */
  private hold(): void {
    this.held = true
    void (this.ctx.emitter.gate.whenOpen() ?? Promise.resolve()).then(() =>
      this.io.later(() => {
        this.held = false
        this.advance()
        this.options.onResumed()
      }),
    )
  }

  private received(data: Uint8Array): Uint8Array {
    if (data.byteLength === 0) this.sawEof = true
    return data
  }

  private stopWaiting(): void {
    // Only waits that did not block the thread are still open here: they were this handler's.
    if (this.waiting && this.waiting !== 'lock' && this.waitingSince >= 0) unblocked(this.ctx, this.waiting, this.waitingSince, 'task')
    this.waiting = undefined
    this.cancelWait = undefined
  }

  private resumeLater(input: Input): void {
    if (this.done) return
    this.stopWaiting()
    this.drive(input)
    this.options.onResumed()
  }

  private finish(end: HandlerEnd, failure?: Error): void {
    this.waiting = undefined
    this.end = end
    this.failure = failure
    try {
      this.state.releaseAll()
    } catch {}
  }
}

/**
 * Async recv/send over a net.Socket: data is buffered as it arrives, recv hands out up
 * to `max` bytes at a time (like socket.recv(1024)), and an empty result means EOF. A
 * send the kernel cannot take at once makes its sender wait until it has (sendall).
 * Reading pauses while READ_AHEAD_BYTES wait unread (the handler is busy, or waits in a
 * send to a peer that does not read): the rest stays in the kernel, as it would for a
 * blocking server that is not in recv().
 */
export class SocketIo implements AsyncConnIo {
  private chunks: Buffer[] = []
  private buffered = 0
  private ended = false
  private failure: Error | undefined
  private waiter: (() => void) | undefined
  private readonly socket: net.Socket

  constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
      if (this.buffered >= READ_AHEAD_BYTES) socket.pause()
      this.wake()
    })
    socket.on('end', () => {
      this.ended = true
      this.wake()
    })
    socket.on('error', (err) => {
      this.failure = err
      this.ended = true
      this.wake()
    })
    socket.on('close', () => {
      this.ended = true
      this.wake()
    })
  }

  get error(): Error | undefined {
    return this.failure
  }

  async recv(max: number): Promise<{ data: Uint8Array; waited: boolean }> {
    let waited = false
    while (this.chunks.length === 0 && !this.ended) {
      waited = true
      await new Promise<void>((resolve) => (this.waiter = resolve))
    }
    if (this.chunks.length === 0) {
      if (this.failure) throw this.failure
      return { data: new Uint8Array(0), waited }
    }
    const head = this.chunks[0]!
    let data: Buffer
    if (head.byteLength <= max) {
      this.chunks.shift()
      data = head
    } else {
      this.chunks[0] = head.subarray(max)
      data = head.subarray(0, max)
    }
    this.buffered -= data.byteLength
    if (this.buffered < READ_AHEAD_BYTES / 2 && this.socket.isPaused() && !this.ended) this.socket.resume()
    return { data, waited }
  }

  send(data: Uint8Array): Promise<void> | void {
    if (this.socket.destroyed) throw this.failure ?? Object.assign(new Error('the connection is closed'), { code: 'EPIPE' })
    const written = new Promise<void>((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())))
    // A write the kernel took whole leaves nothing queued: the sender need not wait.
    // (A later failure still shows: the socket's error reaches the next recv.)
    if (this.socket.writableLength === 0) return void written.catch(() => {})
    return written
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }
}
