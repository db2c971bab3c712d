import type net from 'node:net'
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads'
import type { ModelledStart, SpareStart } from '../events.ts'
import type { HandlerJob } from '../host/protocol.ts'
import { READ_AHEAD_BYTES, SEND_AHEAD_BYTES } from './bounds.ts'
import { endAndLinger } from './connection.ts'

/**
 * A socket shared between the main thread (which owns it) and one worker thread (which
 * serves it with blocking calls). Bytes travel over a MessagePort, each piece copied once
 * into a buffer of its own size and moved (transferred), never a view onto a larger one;
 * a few shared words let the worker sleep in Atomics.wait (a futex: the thread really
 * blocks) until something arrives, or until there is room to send, and keep both
 * directions within their bounds (models/bounds.ts):
 *  - reading: the main thread pauses the socket while READ_AHEAD_BYTES it has passed on
 *    are not yet taken by the worker's recv; the worker asks it to resume below half;
 *  - sending: the worker's send blocks while more than SEND_AHEAD_BYTES it has sent are
 *    not yet written to the kernel by the main thread (a full send buffer: the peer is not
 *    reading), until they are down to half.
 */

/** What a handler thread is started with, before it has a connection (it waits parked for one). */
export interface ThreadWorkerData {
  /** The app's state and locks, shared by every connection's thread (see world.ts). */
  shared: SharedArrayBuffer
  originNs: string
  /** The thread's name, which is also the kernel's name for it (/proc/PID/task/TID/comm): how it finds its own TID. */
  name: string
  /** The host's event gate (emitter.ts): the thread waits at it before a recv while the host's channel is full. */
  gate: SharedArrayBuffer
}

/** Main → worker over parentPort, once: the connection this thread serves. */
export interface ThreadJob extends HandlerJob {
  signal: SharedArrayBuffer
  port: MessagePort
  spare?: SpareStart
  modelledStart?: ModelledStart
}

/** Main → worker over the pipe. */
export type MainToWorker = { type: 'data'; data: Uint8Array } | { type: 'eof' } | { type: 'error'; message: string; code: string }

/** Worker → main over the pipe. `resume`: the worker has taken enough that reading may go on. */
export type WorkerToMainPipe = { type: 'send'; data: Uint8Array } | { type: 'resume' } | { type: 'end'; destroy: boolean }

/** Worker → main over parentPort: booted and parked (`ready`), then its events. */
export type WorkerToMain = { type: 'ready' } | { type: 'events'; events: unknown[] }

/** The shared words (Int32, in `signal`). */
const ARRIVED = 0 // bumped (and notified) on every message to the worker
const UNREAD = 1 // bytes passed to the worker that its recv has not returned yet
const READ_PAUSED = 2 // 1 while the main thread keeps the socket paused for the worker
const UNSENT = 3 // bytes the worker has sent that are not yet written to the kernel
const CLOSED = 4 // 1 once the socket is gone: a send waiting for room gives up
const WORDS = 5

export interface SocketPipe {
  signal: SharedArrayBuffer
  workerPort: MessagePort
  dispose(): void
}

/** Exactly these bytes in a buffer of their own, to move to the other thread (posting a view would clone all of its buffer). */
function ownCopy(data: Uint8Array): Uint8Array {
  return new Uint8Array(data)
}

export function createSocketPipe(socket: net.Socket): SocketPipe {
  const { port1: mainPort, port2: workerPort } = new MessageChannel()
  const signal = new SharedArrayBuffer(WORDS * 4)
  const words = new Int32Array(signal)
  const post = (message: MainToWorker, transfer: ArrayBuffer[] = []) => {
    mainPort.postMessage(message, transfer)
    Atomics.add(words, ARRIVED, 1)
    Atomics.notify(words, ARRIVED)
  }
  socket.on('data', (chunk: Buffer) => {
    const data = ownCopy(chunk)
    const bytes = data.byteLength
    // Counted before it is posted: the worker may take it at once (and moving it detaches `data`).
    const unread = Atomics.add(words, UNREAD, bytes) + bytes
    post({ type: 'data', data }, [data.buffer as ArrayBuffer])
    if (unread < READ_AHEAD_BYTES) return
    socket.pause()
    Atomics.store(words, READ_PAUSED, 1)
    // The worker may have taken them all meanwhile, before it could see the flag.
    if (Atomics.load(words, UNREAD) < READ_AHEAD_BYTES / 2 && Atomics.compareExchange(words, READ_PAUSED, 1, 0) === 1) socket.resume()
  })
  socket.on('end', () => post({ type: 'eof' }))
  socket.on('error', (err: NodeJS.ErrnoException) =>
    post({ type: 'error', message: err.message, code: err.code === 'ECONNRESET' ? 'CONNECTION_RESET' : (err.code ?? 'CONNECTION_FAILED') }),
  )
  socket.on('close', () => {
    Atomics.store(words, CLOSED, 1)
    // A new value, not only a notify: a worker about to wait for the old one must not sleep on.
    Atomics.store(words, UNSENT, 0)
    Atomics.notify(words, UNSENT)
  })
  const written = (bytes: number) => {
    Atomics.sub(words, UNSENT, bytes)
    Atomics.notify(words, UNSENT)
  }
  const handle = (message: WorkerToMainPipe) => {
    if (message.type === 'send') {
      const bytes = message.data.byteLength
      // Called once the kernel has taken the bytes (or the socket failed): only then is there room.
      if (socket.destroyed) written(bytes)
      else socket.write(message.data, () => written(bytes))
    } else if (message.type === 'resume') {
      if (Atomics.load(words, READ_PAUSED) === 0 && !socket.destroyed) socket.resume()
    } else if (message.destroy) socket.destroy()
    else endAndLinger(socket)
  }
  mainPort.on('message', handle)
  socket.resume()
  return {
    signal,
    workerPort,
    dispose() {
      // The worker may have ended with its last sends still queued on the port (its exit
      // can be seen first): deliver them, or the client loses the tail of its reply.
      for (let entry = receiveMessageOnPort(mainPort); entry; entry = receiveMessageOnPort(mainPort)) handle(entry.message as WorkerToMainPipe)
      mainPort.close()
      // A handler that ended cleanly has already half-closed; anything else is cut off.
      if (!socket.writableEnded) socket.destroy()
    },
  }
}

/** The worker's end: blocking recv / send / sleep. */
export class BlockingSocket {
  private readonly words: Int32Array
  private readonly buffered: Uint8Array[] = []
  private eof = false
  private failure: { message: string; code: string } | undefined
  private readonly port: MessagePort

  constructor(signal: SharedArrayBuffer, port: MessagePort) {
    this.port = port
    this.words = new Int32Array(signal)
  }

  recv(max: number): { data: Uint8Array; waited: boolean } {
    let waited = false
    while (this.buffered.length === 0 && !this.eof) {
      const seen = Atomics.load(this.words, ARRIVED)
      if (this.drain()) continue
      waited = true
      Atomics.wait(this.words, ARRIVED, seen)
    }
    if (this.buffered.length === 0) {
      if (this.failure) throw Object.assign(new Error(this.failure.message), { code: this.failure.code })
      return { data: new Uint8Array(0), waited }
    }
    const head = this.buffered[0]!
    let data: Uint8Array
    if (head.byteLength <= max) {
      this.buffered.shift()
      data = head
    } else {
      this.buffered[0] = head.subarray(max)
      data = head.subarray(0, max)
    }
    const unread = Atomics.sub(this.words, UNREAD, data.byteLength) - data.byteLength
    if (unread < READ_AHEAD_BYTES / 2 && Atomics.compareExchange(this.words, READ_PAUSED, 1, 0) === 1)
      this.port.postMessage({ type: 'resume' } satisfies WorkerToMainPipe)
    return { data, waited }
  }

  /**
   * A blocking send: the bytes go to the main thread at once, and the thread then sleeps
   * while more than SEND_AHEAD_BYTES of what it sent are not yet in the kernel, until they
   * are down to half. `onBlocked` is called once, before it sleeps.
   */
  send(data: Uint8Array, onBlocked: () => void = () => {}): void {
    const copy = ownCopy(data)
    // Counted before it is posted: the main thread may have written it before this thread looks again.
    Atomics.add(this.words, UNSENT, copy.byteLength)
    this.port.postMessage({ type: 'send', data: copy } satisfies WorkerToMainPipe, [copy.buffer as ArrayBuffer])
    let unsent = Atomics.load(this.words, UNSENT)
    if (unsent <= SEND_AHEAD_BYTES) return
    onBlocked()
    while (unsent > SEND_AHEAD_BYTES / 2) {
      if (Atomics.load(this.words, CLOSED)) this.broken()
      Atomics.wait(this.words, UNSENT, unsent)
      unsent = Atomics.load(this.words, UNSENT)
    }
  }

  sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
  }

  end(destroy: boolean): void {
    this.port.postMessage({ type: 'end', destroy } satisfies WorkerToMainPipe)
  }

  /** The socket is gone while this thread sends: the error its main thread saw, or a broken pipe. */
  private broken(): never {
    this.drain()
    const failure = this.failure ?? { message: 'the connection is closed', code: 'EPIPE' }
    throw Object.assign(new Error(failure.message), { code: failure.code })
  }

  /** Take every message waiting on the port; true if there was any. */
  private drain(): boolean {
    let any = false
    for (let entry = receiveMessageOnPort(this.port); entry; entry = receiveMessageOnPort(this.port)) {
      any = true
      const message = entry.message as MainToWorker
      if (message.type === 'data') this.buffered.push(message.data)
      else if (message.type === 'eof') this.eof = true
      else {
        this.failure = { message: message.message, code: message.code }
        this.eof = true
      }
    }
    return any
  }
}
