import net from 'node:net'
import { connId, preview } from '../connection-id.ts'
import type { EventEmitter } from '../emitter.ts'
import { SockscopeError } from '../errors.ts'
import type { ConnId } from '../events.ts'

/** Socket errors as the coded errors a user can act on. */
export function clientError(err: NodeJS.ErrnoException, host: string, port: number): SockscopeError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new SockscopeError('CONNECTION_REFUSED', `connection refused by ${host}:${port}: is a server listening there?`)
    case 'ECONNRESET':
    case 'EPIPE':
      return new SockscopeError('CONNECTION_RESET', `connection reset by ${host}:${port}: the server dropped it`)
    default:
      return err instanceof SockscopeError ? err : new SockscopeError('CONNECTION_FAILED', `${host}:${port}: ${err.message}`)
  }
}

/**
 * One client connection that records what the client side sees: connect, every send and
 * recv, and how it closed. recv() returns the next chunk as it arrives (the seeds'
 * `data = sock.recv(1024)`), or an empty array at EOF.
 */
export class ClientConnection {
  private chunks: Buffer[] = []
  private eof = false
  private failure: SockscopeError | undefined
  private waiter: (() => void) | undefined
  private closed: Promise<void>
  private readonly socket: net.Socket
  private readonly emitter: EventEmitter
  readonly conn: ConnId
  private readonly host: string
  private readonly port: number

  private constructor(socket: net.Socket, emitter: EventEmitter, conn: ConnId, host: string, port: number) {
    this.socket = socket
    this.emitter = emitter
    this.conn = conn
    this.host = host
    this.port = port
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.wake()
    })
    socket.on('end', () => {
      this.eof = true
      this.wake()
    })
    socket.on('error', (err) => {
      this.failure ??= clientError(err, host, port)
      this.wake()
    })
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  static open(emitter: EventEmitter, host: string, port: number, timeoutMs: number): Promise<ClientConnection> {
    return new Promise((resolve, reject) => {
      const calledAt = emitter.clock.nowUs()
      const socket = net.connect({ host, port })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new SockscopeError('TIMEOUT', `no connection to ${host}:${port} within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(clientError(err, host, port))
      })
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.removeAllListeners('error')
        const conn = connId(socket.localPort!, socket.remotePort!)
        const local = `${socket.localAddress}:${socket.localPort}`
        emitter.emit({ kind: 'connect', conn, local, remote: `${host}:${port}`, handshakeUs: emitter.clock.nowUs() - calledAt }, calledAt)
        resolve(new ClientConnection(socket, emitter, conn, host, port))
      })
    })
  }

  send(data: Uint8Array | string): void {
    if (this.failure) throw this.failure
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    this.emitter.emit({ kind: 'send', conn: this.conn, bytes: bytes.byteLength, preview: preview(bytes) })
    this.socket.write(bytes)
  }

  /** The next chunk from the server, or an empty array at EOF. */
  async recv(timeoutMs: number): Promise<Uint8Array> {
    // The driver's event channel full (emitter.ts): the client reads on once it has drained.
    await this.emitter.gate.whenOpen()
    const deadline = Date.now() + timeoutMs
    while (this.chunks.length === 0 && !this.eof && !this.failure) {
      const left = deadline - Date.now()
      if (left <= 0) throw new SockscopeError('TIMEOUT', `no reply from ${this.host}:${this.port} within ${timeoutMs / 1000} s`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    const chunk = this.chunks.shift()
    if (chunk) {
      this.emitter.emit({ kind: 'recv', conn: this.conn, bytes: chunk.byteLength, preview: preview(chunk) })
      return chunk
    }
    if (this.failure) throw this.failure
    return new Uint8Array(0)
  }

  /** Bytes received so far and not yet taken by recv(). */
  get pendingBytes(): number {
    return this.chunks.reduce((sum, c) => sum + c.byteLength, 0)
  }

  get sawEof(): boolean {
    return this.eof
  }

  /** Send each write as its own segment at once (no Nagle), so pieces reach the server as pieces. */
  setNoDelay(): void {
    this.socket.setNoDelay(true)
  }

  /** Resolves once everything written so far has been handed to the kernel. */
  drained(): Promise<void> {
    if (this.socket.writableLength === 0 || this.socket.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.on('drain', done)
      this.socket.on('close', done)
    })
  }

  /** Half-close: shut down our sending side (the server reads EOF), and keep reading. */
  shutdownWrite(): void {
    if (!this.socket.destroyed) this.socket.end()
  }

  /** Stop reading: what the server sends piles up in our kernel buffer, then in its own. */
  stopReading(): void {
    this.socket.pause()
  }

  /**
   * Everything the server sends until it closes, until `untilBytes` have come, or until
   * the deadline, whichever is first. A reset by the server ends it too, as `error`.
   */
  async collect(deadlineMs: number, untilBytes = Infinity): Promise<{ data: Buffer; eof: boolean; error?: SockscopeError }> {
    const parts: Buffer[] = []
    let total = 0
    const deadline = Date.now() + deadlineMs
    while (total < untilBytes) {
      const left = deadline - Date.now()
      if (left <= 0) break
      try {
        const chunk = await this.recv(left)
        if (chunk.byteLength === 0) return { data: Buffer.concat(parts), eof: true }
        parts.push(Buffer.from(chunk))
        total += chunk.byteLength
      } catch (err) {
        if ((err as SockscopeError).code === 'TIMEOUT') break
        return { data: Buffer.concat(parts), eof: false, error: err as SockscopeError }
      }
    }
    return { data: Buffer.concat(parts), eof: false }
  }

  /** Close our side and wait for the socket to be fully closed. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return
    const by = this.failure ? 'error' : this.eof ? 'peer' : 'local'
    this.socket.end()
    const timer = setTimeout(() => this.socket.destroy(), 2000)
    await this.closed
    clearTimeout(timer)
    this.emitter.emit({ kind: 'close', conn: this.conn, by })
  }

  /** Cut the connection at once (stop, or after an error). */
  destroy(error?: SockscopeError): void {
    if (this.socket.destroyed) return
    this.socket.destroy()
    this.emitter.emit({ kind: 'close', conn: this.conn, by: error ? 'error' : 'local', ...(error?.code === 'CONNECTION_RESET' && { reset: 'received' as const }) })
  }

  /** Cut the connection with a reset (RST), not a FIN: the server's next read fails. */
  reset(): void {
    if (this.socket.destroyed) return
    this.socket.resetAndDestroy()
    this.emitter.emit({ kind: 'close', conn: this.conn, by: 'local', reset: 'sent' })
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }
}
