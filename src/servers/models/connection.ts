import type net from 'node:net'
import { ctime } from '../apps/app.ts'
import { connId } from '../connection-id.ts'
import type { ConnId } from '../events.ts'
import type { HandlerEnd } from './runtime.ts'
import type { EventEmitter } from '../emitter.ts'

/** The server side's id for an accepted socket: the same id the client computes. */
export function serverConnId(socket: net.Socket): ConnId {
  return connId(socket.remotePort ?? 0, socket.localPort ?? 0)
}

export function remoteOf(socket: net.Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`
}

export const appContext = (conn: ConnId) => ({ conn, serverTime: () => ctime() })

/** End a served connection and report how it ended. */
export function finishConnection(emitter: EventEmitter, conn: ConnId, socket: net.Socket, end: HandlerEnd, err?: Error): void {
  if (err) emitter.emit({ kind: 'error', conn, code: errnoCode(err), message: err.message })
  emitter.emit({ kind: 'close', conn, by: err ? 'error' : end })
  if (err) socket.destroy()
  else socket.end()
}

export function errnoCode(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ECONNRESET' ? 'CONNECTION_RESET' : (code ?? 'CONNECTION_FAILED')
}
