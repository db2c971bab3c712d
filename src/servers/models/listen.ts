import net from 'node:net'
import type { EventEmitter } from '../emitter.ts'
import { SockscopeError } from '../errors.ts'
import type { ModelContext, RunningServer } from './model.ts'

/** Bind host:port without announcing it. A port in use becomes PORT_IN_USE. */
function bindTcp(ctx: ModelContext, onConnection: (socket: net.Socket) => void, port: number): Promise<net.Server> {
  // Paused until the model reads: an unread connection is what a real accept queue holds.
  // Half-open allowed: a client that shuts down its sending side still gets its replies.
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, onConnection)
  return new Promise<net.Server>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new SockscopeError('PORT_IN_USE', `port ${port} on ${ctx.spec.host} is already in use; pick another or use --port 0`))
      else reject(new SockscopeError('LISTEN_FAILED', `cannot listen on ${ctx.spec.host}:${port}: ${err.message}`))
    })
    server.listen({ host: ctx.spec.host, port, backlog: 128 }, () => resolve(server))
  })
}

function announce(ctx: ModelContext, server: net.Server): void {
  server.on('error', (err) => ctx.emitter.emit({ kind: 'error', code: 'LISTEN_FAILED', message: err.message }))
  ctx.emitter.emit({ kind: 'listen', host: ctx.spec.host, port: boundPort(server), model: ctx.spec.model, app: ctx.spec.app })
}

/**
 * Listen on host:port and emit the listen event. A port in use becomes PORT_IN_USE,
 * so the user sees which port and what to do, not a stack trace.
 */
export async function listenTcp(
  ctx: ModelContext,
  onConnection: (socket: net.Socket) => void,
  port = ctx.spec.port,
): Promise<net.Server> {
  const server = await bindTcp(ctx, onConnection, port)
  announce(ctx, server)
  return server
}

const CONSECUTIVE_ATTEMPTS = 20

/**
 * Listen on spec.ports consecutive ports from spec.port (seed 003's select server listens
 * on 50007 and 50008). With port 0 the first is free and the rest follow it; if one of
 * those is taken, another run of free ports is tried.
 */
export async function listenOnPorts(ctx: ModelContext, onConnection: (socket: net.Socket) => void): Promise<net.Server[]> {
  const count = ctx.spec.ports
  const bindRun = async (first: number): Promise<net.Server[]> => {
    const servers: net.Server[] = []
    try {
      for (let i = 0; i < count; i++) {
        const port = i === 0 ? first : boundPort(servers[0]!) + i
        if (port > 65535) throw new SockscopeError('PORT_IN_USE', `ports ${first}…${first + count - 1} run past 65535`)
        servers.push(await bindTcp(ctx, onConnection, port))
      }
      return servers
    } catch (err) {
      for (const server of servers) stopListening(server)
      throw err
    }
  }
  let servers: net.Server[] | undefined
  for (let attempt = 1; !servers; attempt++) {
    try {
      servers = await bindRun(ctx.spec.port)
    } catch (err) {
      const retry = ctx.spec.port === 0 && (err as SockscopeError).code === 'PORT_IN_USE' && attempt < CONSECUTIVE_ATTEMPTS
      if (!retry) throw err
    }
  }
  for (const server of servers) announce(ctx, server)
  return servers
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

/**
 * A model's running server: where it listens, and a stop() that runs `stop` once however
 * often it is called (a second caller awaits the first stop). `stop` runs synchronously up
 * to its first await, so a model's `stopping` flag is set before stop() returns.
 */
export function runningServer(host: string, servers: readonly net.Server[], stop: () => Promise<void> | void): RunningServer {
  let stopped: Promise<void> | undefined
  return { host, ports: servers.map(boundPort), stop: () => (stopped ??= (async () => stop())()) }
}

/**
 * The main thread of a server that only accepts and hands connections on (fork, thread):
 * between connections it sits in accept(). That wait is a block / unblock on 'accept'.
 */
export class AcceptWait {
  private since: number | undefined
  private readonly emitter: EventEmitter

  constructor(emitter: EventEmitter) {
    this.emitter = emitter
  }

  /** Back in accept(), waiting for the next connection. */
  waiting(): void {
    this.since ??= this.emitter.emit({ kind: 'block', on: 'accept' }).t
  }

  /** accept() returned a connection. */
  accepted(): void {
    if (this.since === undefined) return
    const t = this.emitter.clock.nowUs()
    this.emitter.emit({ kind: 'unblock', on: 'accept', blockedUs: t - this.since }, t)
    this.since = undefined
  }
}
