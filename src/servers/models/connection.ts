import type net from 'node:net'
import { type AppContext, type AppOptions, appOptions, ctime } from '../apps/app.ts'
import { connId } from '../connection-id.ts'
import type { CloseEvent, ConnId, EventBody } from '../events.ts'
import type { HandlerJob } from '../host/protocol.ts'
import type { ModelContext } from './model.ts'
import type { HandlerStyle } from './request-handler.ts'
import type { HandlerEnd } from './runtime.ts'
import type { EventEmitter } from '../emitter.ts'

let unknownPeers = 0

/**
 * The server side's id for an accepted socket: the same id the client computes. A client
 * that reset its connection before the server got to it leaves no address to ask for
 * (getpeername fails): such a connection gets an id of its own, `?N>port`.
 */
export function serverConnId(socket: net.Socket): ConnId {
  if (socket.remotePort === undefined) return `?${++unknownPeers}>${socket.localPort ?? 0}`
  return connId(socket.remotePort, socket.localPort ?? 0)
}

export function remoteOf(socket: net.Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`
}

/** The job a forked child or a worker thread gets for one connection. */
export function handlerJob(ctx: ModelContext, conn: ConnId, style: HandlerStyle): HandlerJob {
  return { run: ctx.emitter.source.run, conn, app: ctx.spec.app, delayMs: ctx.spec.delay * 1000, options: appOptions(ctx.spec), style }
}

export const appContext = (conn: ConnId, options: AppOptions): AppContext => ({ conn, serverTime: () => ctime(), options })

/** After our close, how long a peer may keep its side open before it is cut off. */
const LINGER_MS = 2000

/** End a served connection and report how it ended. */
export function finishConnection(emitter: EventEmitter, conn: ConnId, socket: net.Socket, end: HandlerEnd, err?: Error): void {
  if (err) emitter.emit({ kind: 'error', conn, code: errnoCode(err), message: err.message })
  emitter.emit(closeEvent(conn, err ? 'error' : end, err))
  if (err) return void socket.destroy()
  endAndLinger(socket)
}

/**
 * Close our side, and cut the connection off if the peer has not closed its own within
 * LINGER_MS. Half-open sockets are allowed (a client may shut down its sending side and
 * still read), so a peer that never closes its side would otherwise hold the socket forever.
 * The handler is done: what the peer still sends is read and dropped (reading may be
 * paused at the read-ahead bound, for a handler that will never take it), so that its FIN
 * or reset is seen at once.
 */
export function endAndLinger(socket: net.Socket): void {
  socket.removeAllListeners('data')
  socket.on('data', () => {})
  socket.resume()
  socket.end()
  if (!socket.destroyed) {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
  }
}

/** The close of a connection that ended `by`, after `err` if it failed: a reset from the peer says so. */
export function closeEvent(conn: ConnId, by: CloseEvent['by'], err?: Error): EventBody<CloseEvent> {
  return err && isReset(err) ? { kind: 'close', conn, by, reset: 'received' } : { kind: 'close', conn, by }
}

/** The peer reset the connection (RST): a read says ECONNRESET, a write after it EPIPE. */
export function isReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'CONNECTION_RESET'
}

export function errnoCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ECONNRESET' ? 'CONNECTION_RESET' : code === 'EPIPE' ? 'CONNECTION_RESET' : (code ?? 'CONNECTION_FAILED')
}
