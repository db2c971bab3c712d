import net from 'node:net'
import { SockscopeError } from '../errors.ts'
import type { ModelContext } from './model.ts'

/**
 * Listen on host:port and emit the listen event. A port in use becomes PORT_IN_USE,
 * so the user sees which port and what to do, not a stack trace.
 */
export async function listenTcp(
  ctx: ModelContext,
  onConnection: (socket: net.Socket) => void,
  port = ctx.spec.port,
): Promise<net.Server> {
  // Paused until the model reads: an unread connection is what a real accept queue holds.
  const server = net.createServer({ pauseOnConnect: true }, onConnection)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new SockscopeError('PORT_IN_USE', `port ${port} on ${ctx.spec.host} is already in use; pick another or use --port 0`))
      else reject(new SockscopeError('LISTEN_FAILED', `cannot listen on ${ctx.spec.host}:${port}: ${err.message}`))
    })
    server.listen({ host: ctx.spec.host, port, backlog: 128 }, resolve)
  })
  server.on('error', (err) => ctx.emitter.emit({ kind: 'error', code: 'LISTEN_FAILED', message: err.message }))
  const bound = (server.address() as net.AddressInfo).port
  ctx.emitter.emit({ kind: 'listen', host: ctx.spec.host, port: bound, model: ctx.spec.model, app: ctx.spec.app })
  return server
}

export function boundPort(server: net.Server): number {
  return (server.address() as net.AddressInfo).port
}

/**
 * Stop listening: the port is free once this returns. (server.close()'s callback would
 * also wait for every connection the server ever accepted, including sockets handed to
 * other processes, which the models end themselves.)
 */
export function stopListening(server: net.Server): void {
  if (server.listening) server.close()
}
