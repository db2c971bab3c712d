import net from 'node:net'
import type { EventEmitter } from '../emitter.ts'
import { SockscopeError } from '../errors.ts'
import type { ConnId } from '../events.ts'
import { remoteOf, serverConnId } from './connection.ts'
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

/** What a capped server was asked to do: start one connection's child or thread; it calls `ended` once, when that ends. */
export type StartHandler = (socket: net.Socket, conn: ConnId, ended: () => void) => void

interface Queued {
  socket: net.Socket
  conn: ConnId
  remote: string
  queuedAt: number
}

/**
 * True once the kernel has the connection closed under us: a reset from the peer leaves
 * it with no peer address (getpeername says ENOTCONN). Only what the kernel already knows:
 * a paused socket is not read, so nothing else would tell.
 */
function resetWhileQueued(socket: net.Socket): boolean {
  const handle = (socket as unknown as { _handle?: { getpeername?(out: object): number } })._handle
  return socket.destroyed || (handle?.getpeername !== undefined && handle.getpeername({}) !== 0)
}

/**
 * The accept loop of a server that starts a child process or a thread per connection
 * (fork, thread, socketserver's mixins), with a cap on how many are live at once, as
 * socketserver.ForkingMixIn.max_children (40): at the cap the server stops accepting
 * until one ends. (Python blocks in waitpid() there.) That hold-off is a `block` on
 * 'accept' with cause 'at-cap' and the limit; the connections that arrive meanwhile wait
 * in the accept queue (`queued`, with its depth) and are accepted in arrival order, each
 * with the time it waited. (Node's runtime drains the kernel's backlog as connections
 * complete, so the queue is kept here, with the kernel's meaning: established, not yet
 * accepted, nothing read.)
 */
export class CappedAccept {
  private live = 0
  private readonly queue: Queued[] = []
  private heldSince: number | undefined
  private stopped = false
  private readonly accepting: AcceptWait
  private readonly emitter: EventEmitter
  private readonly limit: number
  private readonly start: StartHandler

  constructor(emitter: EventEmitter, limit: number, start: StartHandler) {
    this.emitter = emitter
    this.limit = limit
    this.start = start
    this.accepting = new AcceptWait(emitter)
  }

  /** The server listens: it waits in accept(). */
  listening(): void {
    this.accepting.waiting()
  }

  /** For the server's connection callback. */
  arrived(socket: net.Socket): void {
    if (this.stopped) return void socket.destroy()
    // A client that gives up while it waits must not take the server down.
    socket.on('error', () => {})
    const conn = serverConnId(socket)
    if (this.live < this.limit) {
      this.accepting.accepted()
      const arrived = { socket, conn, remote: remoteOf(socket), queuedAt: this.emitter.clock.nowUs() }
      if (resetWhileQueued(socket)) this.closeReset(arrived)
      else this.begin(arrived)
      return this.afterAccept()
    }
    this.dropReset()
    const queuedAt = this.emitter.emit({ kind: 'queued', conn, depth: this.queue.length + 1 }).t
    this.queue.push({ socket, conn, remote: remoteOf(socket), queuedAt })
  }

  stop(): void {
    this.stopped = true
    for (const { socket } of this.queue.splice(0)) socket.destroy()
  }

  private begin(next: Queued): void {
    const t = this.emitter.clock.nowUs()
    this.emitter.emit({ kind: 'accept', conn: next.conn, remote: next.remote, waitedUs: t - next.queuedAt }, t)
    this.live++
    let done = false
    this.start(next.socket, next.conn, () => {
      if (done) return
      done = true
      this.ended()
    })
  }

  /** Back to accept(), or, at the cap, hold off until a child or thread ends. */
  private afterAccept(): void {
    if (this.stopped) return
    if (this.live < this.limit) return this.accepting.waiting()
    this.heldSince ??= this.emitter.emit({ kind: 'block', on: 'accept', cause: 'at-cap', limit: this.limit }).t
  }

  private ended(): void {
    this.live--
    if (this.stopped) return
    if (this.heldSince !== undefined) {
      const t = this.emitter.clock.nowUs()
      this.emitter.emit({ kind: 'unblock', on: 'accept', blockedUs: t - this.heldSince }, t)
      this.heldSince = undefined
    }
    this.dropReset()
    const next = this.queue.shift()
    if (next) this.begin(next)
    this.afterAccept()
  }

  /**
   * Accept, and close at once, the queued connections the kernel already knows were reset
   * (and so a new one that was reset before the server got to it).
   * A handler would fail on its first recv and end; but a Node child or worker costs tens of
   * ms to start where a C fork() costs well under one, so starting one for each would let a
   * storm of connect-and-reset clients hold the cap, and every good client behind them, for
   * seconds (the 1,000-cycle probe in bounds.test.ts).
   */
  private dropReset(): void {
    for (let i = 0; i < this.queue.length; ) {
      const queued = this.queue[i]!
      if (!resetWhileQueued(queued.socket)) {
        i++
        continue
      }
      this.queue.splice(i, 1)
      this.closeReset(queued)
    }
  }

  private closeReset(reset: Queued): void {
    const t = this.emitter.clock.nowUs()
    this.emitter.emit({ kind: 'accept', conn: reset.conn, remote: reset.remote, waitedUs: t - reset.queuedAt }, t)
    this.emitter.emit({ kind: 'close', conn: reset.conn, by: 'peer', reset: 'received' })
    reset.socket.destroy()
  }
}
