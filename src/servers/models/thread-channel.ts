import type net from 'node:net'
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads'
import type { HandlerJob } from '../host/protocol.ts'

/**
 * A socket shared between the main thread (which owns it) and one worker thread (which
 * serves it with blocking calls). Bytes travel over a MessagePort; a shared counter,
 * bumped with Atomics.notify on every message, lets the worker sleep in Atomics.wait
 * (a futex: the thread really blocks) until something arrives.
 */

export interface ThreadWorkerData extends HandlerJob {
  /** The app's state and locks, shared by every connection's thread (see world.ts). */
  shared: SharedArrayBuffer
  originNs: string
  signal: SharedArrayBuffer
  port: MessagePort
}

/** Main → worker over the pipe. */
export type MainToWorker = { type: 'data'; data: Uint8Array } | { type: 'eof' } | { type: 'error'; message: string; code: string }

/** Worker → main over the pipe. */
export type WorkerToMainPipe = { type: 'send'; data: Uint8Array } | { type: 'end'; destroy: boolean }

/** Worker → main over parentPort. */
export type WorkerToMain = { type: 'events'; events: unknown[] }

export interface SocketPipe {
  signal: SharedArrayBuffer
  workerPort: MessagePort
  dispose(): void
}

export function createSocketPipe(socket: net.Socket): SocketPipe {
  const { port1: mainPort, port2: workerPort } = new MessageChannel()
  const signal = new SharedArrayBuffer(4)
  const counter = new Int32Array(signal)
  const post = (message: MainToWorker) => {
    mainPort.postMessage(message)
    Atomics.add(counter, 0, 1)
    Atomics.notify(counter, 0)
  }
  socket.on('data', (data: Buffer) => post({ type: 'data', data }))
  socket.on('end', () => post({ type: 'eof' }))
  socket.on('error', (err: NodeJS.ErrnoException) =>
    post({ type: 'error', message: err.message, code: err.code === 'ECONNRESET' ? 'CONNECTION_RESET' : (err.code ?? 'CONNECTION_FAILED') }),
  )
  const handle = (message: WorkerToMainPipe) => {
    if (message.type === 'send') socket.write(message.data)
    else if (message.destroy) socket.destroy()
    else socket.end()
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
  private readonly counter: Int32Array
  private readonly buffered: Uint8Array[] = []
  private eof = false
  private failure: { message: string; code: string } | undefined
  private readonly port: MessagePort

  constructor(signal: SharedArrayBuffer, port: MessagePort) {
    this.port = port
    this.counter = new Int32Array(signal)
  }

  recv(max: number): { data: Uint8Array; waited: boolean } {
    let waited = false
    while (this.buffered.length === 0 && !this.eof) {
      const seen = Atomics.load(this.counter, 0)
      if (this.drain()) continue
      waited = true
      Atomics.wait(this.counter, 0, seen)
    }
    if (this.buffered.length === 0) {
      if (this.failure) throw Object.assign(new Error(this.failure.message), { code: this.failure.code })
      return { data: new Uint8Array(0), waited }
    }
    const head = this.buffered[0]!
    if (head.byteLength <= max) {
      this.buffered.shift()
      return { data: head, waited }
    }
    this.buffered[0] = head.subarray(max)
    return { data: head.subarray(0, max), waited }
  }

  send(data: Uint8Array): void {
    this.port.postMessage({ type: 'send', data } satisfies WorkerToMainPipe)
  }

  sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
  }

  end(destroy: boolean): void {
    this.port.postMessage({ type: 'end', destroy } satisfies WorkerToMainPipe)
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
