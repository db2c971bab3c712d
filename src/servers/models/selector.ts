import { writeSync } from 'node:fs'
import type net from 'node:net'
import type { EventEmitter } from '../emitter.ts'
import type { ConnId } from '../events.ts'
import { READ_AHEAD_BYTES, SEND_AHEAD_BYTES } from './bounds.ts'
import { remoteOf, serverConnId } from './connection.ts'
import { sleepThread } from './runtime.ts'

/**
 * Python's selectors module, over the readiness that Node's own loop (libuv: epoll,
 * kqueue) reports: register sockets with the events you care about, wait in select(),
 * get back the ones that are ready. A loop built on it (select model, reactor) decides
 * everything else itself, including whether it ever blocks.
 *
 * Reads: libuv reads a socket as soon as epoll says it is readable; the bytes wait in
 * the socket's inbox until the loop recv()s them (read-ahead is capped, so a slow loop
 * leaves the rest in the kernel). Writes go straight to the socket's file descriptor
 * with write(2), as Python's sock.send() does: non-blocking, partial, or EAGAIN when the
 * kernel's send buffer is full.
 */

export const EVENT_READ = 1
export const EVENT_WRITE = 2

export interface Selectable {
  /** How the object appears in a wakeup's ready sets. */
  readonly name: string
  /** What it is ready for now (EVENT_READ | EVENT_WRITE). */
  ready(): number
  /** `notify` is called whenever readiness may have changed. */
  watch(notify: () => void): void
}

export interface SelectorKey<T> {
  fileobj: Selectable
  events: number
  data: T
}

export interface Ready<T> {
  key: SelectorKey<T>
  mask: number
}

export class Selector<T> {
  private readonly keys = new Map<Selectable, SelectorKey<T>>()
  /**
   * The keys that may be ready: each one whose object said its readiness may have changed,
   * or whose interest changed, since the last look, and each one that was ready then
   * (level-triggered, like epoll: still ready until it is served). select() looks at these
   * only, as epoll_wait() returns the ready list, not every descriptor it watches: with
   * 10,000 idle connections a wakeup for one must not cost 10,000 checks.
   */
  private readonly maybeReady = new Set<SelectorKey<T>>()
  /** Registration order, in which ready keys are reported (as before the candidates were kept). */
  private readonly order = new Map<SelectorKey<T>, number>()
  private registrations = 0
  /** Keys with a nonzero interest: what a wait watches. */
  private watching = 0
  private readonly emitter: EventEmitter
  private wake: (() => void) | undefined
  private closed = false

  constructor(emitter: EventEmitter) {
    this.emitter = emitter
  }

  register(fileobj: Selectable, events: number, data: T): SelectorKey<T> {
    const key = { fileobj, events, data }
    const old = this.keys.get(fileobj)
    if (old) this.forget(old)
    this.keys.set(fileobj, key)
    this.order.set(key, this.registrations++)
    if (events !== 0) this.watching++
    this.maybeReady.add(key)
    // Like the kernel's select(): only readiness that a registered interest asks for ends the wait.
    fileobj.watch(() => {
      const now = this.keys.get(fileobj)
      if (!now) return
      this.maybeReady.add(now)
      if (fileobj.ready() & now.events) this.wake?.()
    })
    return key
  }

  modify(fileobj: Selectable, events: number): void {
    const key = this.keys.get(fileobj)
    if (!key) return
    this.watching += (events !== 0 ? 1 : 0) - (key.events !== 0 ? 1 : 0)
    key.events = events
    this.maybeReady.add(key)
  }

  unregister(fileobj: Selectable): void {
    const key = this.keys.get(fileobj)
    if (key) this.forget(key)
    this.keys.delete(fileobj)
  }

  private forget(key: SelectorKey<T>): void {
    if (key.events !== 0) this.watching--
    this.maybeReady.delete(key)
    this.order.delete(key)
  }

  registered(): SelectorKey<T>[] {
    return [...this.keys.values()]
  }

  /**
   * Wait until a registered object is ready for an event it is registered for, or until
   * `timeoutMs` (undefined: no limit; 0: just poll). A wait that really waits begins
   * with a `block` on 'select' (how many sockets it watches, how long at most); every
   * return is a `wakeup` event with the ready sets and the time spent waiting.
   */
  async select(timeoutMs?: number): Promise<Ready<T>[]> {
    const started = this.emitter.clock.nowUs()
    if (!this.closed && this.collect().length === 0 && timeoutMs !== 0) {
      const sockets = this.watching
      this.emitter.emit({ kind: 'block', on: 'select', sockets, ...(timeoutMs === undefined ? {} : { timeoutMs: Math.round(timeoutMs * 10) / 10 }) }, started)
      await new Promise<void>((resolve) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => resolve(), timeoutMs)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = undefined
      // Let libuv finish this turn's I/O callbacks, so the ready set holds everything
      // epoll reported together, not just the first socket.
      await new Promise((resolve) => setImmediate(resolve))
    }
    if (this.closed) return []
    const ready = this.collect()
    const t = this.emitter.clock.nowUs()
    this.emitter.emit(
      {
        kind: 'wakeup',
        readable: ready.filter((r) => r.mask & EVENT_READ).map((r) => r.key.fileobj.name),
        writable: ready.filter((r) => r.mask & EVENT_WRITE).map((r) => r.key.fileobj.name),
        waitedUs: t - started,
      },
      t,
    )
    return ready
  }

  /** Wake a waiting select() with nothing ready (a timer or another part of the loop wants a turn). */
  interrupt(): void {
    this.wake?.()
  }

  close(): void {
    this.closed = true
    this.keys.clear()
    this.maybeReady.clear()
    this.order.clear()
    this.watching = 0
    this.wake?.()
  }

  /** The ready keys, in registration order; the ones not ready leave the candidates until their object speaks again. */
  private collect(): Ready<T>[] {
    const ready: Ready<T>[] = []
    for (const key of this.maybeReady) {
      const mask = key.fileobj.ready() & key.events
      if (mask) ready.push({ key, mask })
      else this.maybeReady.delete(key)
    }
    if (ready.length > 1) ready.sort((a, b) => this.order.get(a.key)! - this.order.get(b.key)!)
    return ready
  }
}

/** A connection taken from the accept queue. Its addresses are read on arrival: a socket reset meanwhile no longer knows them. */
export interface Accepted {
  socket: net.Socket
  conn: ConnId
  remote: string
  arrivedAt: number
}

/**
 * A listening socket: readable while connections wait to be accepted. (libuv accepts
 * them from the kernel as they complete; they wait here, paused, until the loop takes them.)
 */
export class ListeningSocket implements Selectable {
  readonly name: string
  readonly port: number
  private readonly pending: Accepted[] = []
  private notify: (() => void) | undefined
  private readonly emitter: EventEmitter

  constructor(port: number, emitter: EventEmitter) {
    this.port = port
    this.name = `listen:${port}`
    this.emitter = emitter
  }

  /** For the server's connection callback. */
  arrived(socket: net.Socket): void {
    // A client that leaves before it is accepted must not take the server down.
    socket.on('error', () => {})
    this.pending.push({ socket, conn: serverConnId(socket), remote: remoteOf(socket), arrivedAt: this.emitter.clock.nowUs() })
    this.notify?.()
  }

  ready(): number {
    return this.pending.length ? EVENT_READ : 0
  }

  watch(notify: () => void): void {
    this.notify = notify
  }

  accept(): Accepted | undefined {
    return this.pending.shift()
  }

  close(): void {
    for (const { socket } of this.pending.splice(0)) socket.destroy()
  }
}

/** How often a blocked send looks again whether the kernel has room (Node has no blocking poll). */
const SEND_RETRY_MS = 2
/** After our close, how long to wait for the peer's before cutting the connection. */
const LINGER_MS = 2000

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code
}

/**
 * An accepted connection with Python's non-blocking socket calls: recv(max) returns what
 * is there, send(data) writes what the kernel takes now, sendall(data) blocks the thread
 * until everything is written.
 */
export class NonBlockingSocket implements Selectable {
  readonly name: ConnId
  readonly socket: net.Socket
  private chunks: Buffer[] = []
  private buffered = 0
  private eof = false
  private failure: Error | undefined
  /** The kernel said EAGAIN; libuv tells us when there is room again. */
  private writeBlocked = false
  private closing = false
  private notify: (() => void) | undefined
  private readonly fd: number | undefined

  constructor(socket: net.Socket, name: ConnId) {
    this.socket = socket
    this.name = name
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd
    // Windows sockets have no file descriptor; there, writes go through libuv and never block.
    this.fd = typeof fd === 'number' && fd >= 0 ? fd : undefined
    socket.on('data', (chunk: Buffer) => {
      if (this.closing) return
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
      if (this.buffered >= READ_AHEAD_BYTES) socket.pause()
      this.notify?.()
    })
    socket.on('end', () => {
      this.eof = true
      this.notify?.()
    })
    socket.on('error', (err) => {
      this.failure ??= err
      this.notify?.()
    })
    socket.on('close', () => {
      this.eof = true
      this.notify?.()
    })
    socket.resume()
  }

  ready(): number {
    let mask = 0
    if (this.chunks.length || this.eof || this.failure) mask |= EVENT_READ
    if (!this.writeBlocked && !this.closing) mask |= EVENT_WRITE
    return mask
  }

  watch(notify: () => void): void {
    this.notify = notify
  }

  /** Up to `max` bytes; empty at EOF; undefined if nothing is there yet (EAGAIN). */
  recv(max: number): Uint8Array | undefined {
    const head = this.chunks[0]
    if (head) {
      let data: Buffer
      if (head.byteLength <= max) {
        this.chunks.shift()
        data = head
      } else {
        this.chunks[0] = head.subarray(max)
        data = head.subarray(0, max)
      }
      this.buffered -= data.byteLength
      if (this.buffered < READ_AHEAD_BYTES / 2 && this.socket.isPaused()) this.socket.resume()
      return data
    }
    if (this.failure) throw this.failure
    return this.eof ? new Uint8Array(0) : undefined
  }

  /** Python's non-blocking sock.send(): how many bytes the kernel took (maybe 0). */
  send(data: Uint8Array): number {
    if (this.failure) throw this.failure
    if (this.writeBlocked || data.byteLength === 0) return 0
    if (this.fd === undefined) {
      this.socket.write(data)
      return data.byteLength
    }
    try {
      return writeSync(this.fd, data, 0, data.byteLength)
    } catch (err) {
      if (errnoOf(err) !== 'EAGAIN') throw err
      // libuv's only way to wait for room (POLLOUT) is a pending write: it gets one byte,
      // and the socket is writable again once that byte has gone.
      this.writeBlocked = true
      this.socket.write(data.subarray(0, 1), (failure) => {
        if (failure) this.failure ??= failure
        this.writeBlocked = false
        this.notify?.()
      })
      return 1
    }
  }

  /**
   * Python's blocking sock.sendall(): returns once the kernel has taken every byte. While
   * its send buffer is full the thread waits right here, and nothing else in the process
   * runs. `onBlocked` is called once, before the first wait.
   */
  sendall(data: Uint8Array, onBlocked: () => void): boolean {
    if (this.failure) throw this.failure
    if (this.fd === undefined) {
      this.socket.write(data)
      return false
    }
    let offset = 0
    let blocked = false
    while (offset < data.byteLength) {
      try {
        offset += writeSync(this.fd, data, offset, data.byteLength - offset)
      } catch (err) {
        if (errnoOf(err) !== 'EAGAIN') throw err
        if (!blocked) onBlocked()
        blocked = true
        sleepThread(SEND_RETRY_MS)
      }
    }
    return blocked
  }

  /**
   * Close our side once everything is written, and keep reading (and dropping) what the
   * peer still sends, so that it gets our last bytes rather than a reset. A peer that
   * never closes its side is cut off after LINGER_MS.
   */
  close(): void {
    if (this.closing) return
    this.closing = true
    this.chunks = []
    this.socket.resume()
    this.socket.end()
    const timer = setTimeout(() => this.socket.destroy(), LINGER_MS)
    timer.unref()
    this.socket.once('close', () => clearTimeout(timer))
  }

  abort(): void {
    this.closing = true
    this.socket.destroy()
  }
}

/** Most bytes handed to one send() call. */
const SEND_SLICE = 64 * 1024

/**
 * A connection's output buffer (seed 001's `data.outb`, Twisted's transport buffer):
 * what the handler has written and the kernel has not taken yet.
 */
export class OutputBuffer {
  private chunks: Buffer[] = []
  private bytes = 0

  get size(): number {
    return this.bytes
  }

  /** Over its bound (SEND_AHEAD_BYTES): whoever writes should wait until it has drained to half. */
  get full(): boolean {
    return this.bytes > SEND_AHEAD_BYTES
  }

  /** Drained far enough, after being full, for the writer to go on. */
  get roomy(): boolean {
    return this.bytes <= SEND_AHEAD_BYTES / 2
  }

  push(data: Uint8Array): void {
    if (data.byteLength === 0) return
    this.chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    this.bytes += data.byteLength
  }

  /** One non-blocking send of what is waiting; returns the bytes the kernel took. */
  sendTo(sock: NonBlockingSocket): Uint8Array {
    if (this.bytes === 0) return new Uint8Array(0)
    const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, Math.min(this.bytes, SEND_SLICE))
    const slice = head.subarray(0, SEND_SLICE)
    const sent = sock.send(slice)
    this.drop(sent)
    return slice.subarray(0, sent)
  }

  private drop(count: number): void {
    this.bytes -= count
    while (count > 0) {
      const head = this.chunks[0]!
      if (head.byteLength <= count) {
        this.chunks.shift()
        count -= head.byteLength
      } else {
        this.chunks[0] = head.subarray(count)
        count = 0
      }
    }
  }
}
