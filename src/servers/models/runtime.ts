import type net from 'node:net'
import type { Handler, OpResult } from '../apps/app.ts'
import { preview } from '../connection-id.ts'
import type { EventEmitter } from '../emitter.ts'
import type { BlockReason, ConnId } from '../events.ts'

/**
 * The two interpreters of app operations that the first models share: one that awaits
 * (a forked child, the iterative server, a coroutine) and one that blocks its thread
 * (a worker thread). Both emit the same recv / send / block / unblock / close events.
 */

export interface ConnTrace {
  emitter: EventEmitter
  conn: ConnId
}

/** How a handler ended, for the close event. */
export type HandlerEnd = 'local' | 'peer' | 'error'

export interface AsyncConnIo {
  /** Resolves with up to `max` bytes, or an empty array at EOF; `waited` says it had to wait. */
  recv(max: number): Promise<{ data: Uint8Array; waited: boolean }>
  send(data: Uint8Array): Promise<void>
}

export interface BlockingConnIo {
  /** Blocks the calling thread until bytes or EOF arrive. */
  recv(max: number): { data: Uint8Array; waited: boolean }
  send(data: Uint8Array): void
  sleep(ms: number): void
}

function traceBlock(trace: ConnTrace, on: BlockReason, startedAt: number): void {
  const t = trace.emitter.clock.nowUs()
  trace.emitter.emit({ kind: 'unblock', conn: trace.conn, on, blockedUs: t - startedAt }, t)
}

export async function runAsync(handler: Handler, io: AsyncConnIo, trace: ConnTrace): Promise<HandlerEnd> {
  const { emitter, conn } = trace
  let result: OpResult
  let sawEof = false
  while (true) {
    const step = handler.next(result)
    if (step.done) return sawEof ? 'peer' : 'local'
    const op = step.value
    result = undefined
    if (op.op === 'recv') {
      const blockedAt = emitter.emit({ kind: 'block', conn, on: 'recv' }).t
      const { data } = await io.recv(op.max)
      traceBlock(trace, 'recv', blockedAt)
      if (data.byteLength === 0) sawEof = true
      else emitter.emit({ kind: 'recv', conn, bytes: data.byteLength, preview: preview(data) })
      result = data
    } else if (op.op === 'send') {
      emitter.emit({ kind: 'send', conn, bytes: op.data.byteLength, preview: preview(op.data) })
      await io.send(op.data)
    } else {
      const blockedAt = emitter.emit({ kind: 'block', conn, on: 'sleep' }).t
      await new Promise((resolve) => setTimeout(resolve, op.ms))
      traceBlock(trace, 'sleep', blockedAt)
    }
  }
}

export function runBlocking(handler: Handler, io: BlockingConnIo, trace: ConnTrace): HandlerEnd {
  const { emitter, conn } = trace
  let result: OpResult
  let sawEof = false
  while (true) {
    const step = handler.next(result)
    if (step.done) return sawEof ? 'peer' : 'local'
    const op = step.value
    result = undefined
    if (op.op === 'recv') {
      const blockedAt = emitter.emit({ kind: 'block', conn, on: 'recv' }).t
      // Events queued so far must leave before this thread sleeps in the kernel.
      emitter.flush()
      const { data } = io.recv(op.max)
      traceBlock(trace, 'recv', blockedAt)
      if (data.byteLength === 0) sawEof = true
      else emitter.emit({ kind: 'recv', conn, bytes: data.byteLength, preview: preview(data) })
      result = data
    } else if (op.op === 'send') {
      emitter.emit({ kind: 'send', conn, bytes: op.data.byteLength, preview: preview(op.data) })
      io.send(op.data)
    } else {
      const blockedAt = emitter.emit({ kind: 'block', conn, on: 'sleep' }).t
      emitter.flush()
      io.sleep(op.ms)
      traceBlock(trace, 'sleep', blockedAt)
    }
  }
}

/**
 * Async recv/send over a net.Socket: data is buffered as it arrives, recv hands out up
 * to `max` bytes at a time (like socket.recv(1024)), and an empty result means EOF.
 */
export class SocketIo implements AsyncConnIo {
  private chunks: Buffer[] = []
  private ended = false
  private failure: Error | undefined
  private waiter: (() => void) | undefined
  private readonly socket: net.Socket

  constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
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
    if (head.byteLength <= max) {
      this.chunks.shift()
      return { data: head, waited }
    }
    this.chunks[0] = head.subarray(max)
    return { data: head.subarray(0, max), waited }
  }

  send(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(this.failure ?? new Error('socket closed'))
      this.socket.write(data, (err) => (err ? reject(err) : resolve()))
    })
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }
}
