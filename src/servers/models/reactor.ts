import type net from 'node:net'
import { type App, type AppOptions, appOptions } from '../apps/app.ts'
import { preview } from '../connection-id.ts'
import type { EventEmitter } from '../emitter.ts'
import type { ConnId } from '../events.ts'
import { appContext, closeEvent, errnoCode } from './connection.ts'
import { boundPort, listenOnPorts, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import { connectionHandler } from './request-handler.ts'
import { READ_AHEAD_BYTES } from './bounds.ts'
import { SteppedHandler } from './runtime.ts'
import { EVENT_READ, EVENT_WRITE, ListeningSocket, NonBlockingSocket, OutputBuffer, Selector } from './selector.ts'
import { LocalWorld } from './world.ts'

/**
 * Twisted's Protocol: one per connection, built by its Factory. The reactor calls it;
 * it never calls the network itself, only `this.transport`.
 */
export class Protocol {
  transport: Transport | undefined
  factory: Factory | undefined

  makeConnection(transport: Transport): void {
    this.transport = transport
    this.connectionMade()
  }

  connectionMade(): void {}

  /** Called with whatever arrived: part of a message, or several. */
  dataReceived(_data: Uint8Array): void {}

  /** IHalfCloseableProtocol: the peer will send no more, but may still read. */
  readConnectionLost(): void {
    this.transport?.loseConnection()
  }

  connectionLost(_reason: Error | undefined): void {}
}

/** Twisted's Factory: `factory.protocol = Echo`; buildProtocol() makes one per connection. */
export class Factory {
  protocol: new () => Protocol = Protocol

  buildProtocol(_addr: string): Protocol {
    const protocol = new this.protocol()
    protocol.factory = this
    return protocol
  }
}

/** Twisted's IPushProducer: something that writes to a transport, and can be told to hold off. */
export interface Producer {
  pauseProducing(): void
  resumeProducing(): void
}

/**
 * The connection as a protocol sees it: write() is buffered, and never blocks. As in
 * Twisted, the transport is a producer itself (of what it reads: pauseProducing() stops
 * reading), and a producer registered with it is paused while its output buffer is over
 * its bound (SEND_AHEAD_BYTES) and resumed once the peer has drained it to half.
 */
export class Transport implements Producer {
  readonly conn: ConnId
  readonly peer: string
  readonly outb = new OutputBuffer()
  disconnecting = false
  readingPaused = false
  producer: Producer | undefined
  producerPaused = false
  private readonly reactor: Reactor
  private readonly connection: Connection

  constructor(reactor: Reactor, connection: Connection, peer: string) {
    this.reactor = reactor
    this.connection = connection
    this.conn = connection.conn
    this.peer = peer
  }

  write(data: Uint8Array): void {
    if (this.disconnecting || this.connection.lost) return
    this.outb.push(data)
    if (this.outb.full && this.producer && !this.producerPaused) {
      this.producerPaused = true
      this.producer.pauseProducing()
    }
    this.reactor.update(this.connection)
  }

  registerProducer(producer: Producer): void {
    this.producer = producer
  }

  /** Stop reading from the connection (what was read stays with the protocol). */
  pauseProducing(): void {
    this.readingPaused = true
    this.reactor.update(this.connection)
  }

  resumeProducing(): void {
    this.readingPaused = false
    this.reactor.update(this.connection)
  }

  /** Close once everything written so far has gone. */
  loseConnection(): void {
    this.disconnecting = true
    this.reactor.update(this.connection)
  }

  /** Close now, dropping what was not written. */
  abortConnection(reason?: Error): void {
    this.reactor.lose(this.connection, reason ?? new Error('connection aborted'))
  }

  getPeer(): string {
    return this.peer
  }
}

interface Connection {
  conn: ConnId
  sock: NonBlockingSocket
  protocol: Protocol
  transport: Transport
  readClosed: boolean
  lost: boolean
}

interface DelayedCall {
  at: number
  conn: ConnId | undefined
  call: () => void
  cancelled: boolean
}

/** Bytes per read: Twisted hands dataReceived up to 64 KiB at a time. */
const READ_SIZE = 65536

/**
 * Twisted's reactor: a select loop (the same Selector as the select model) that calls
 * protocols back. Every callback is a `phase` (begin, end) on its connection: the
 * timeline shows that nothing else runs while one is running.
 */
export class Reactor {
  private readonly emitter: EventEmitter
  private readonly sel: Selector<Connection | { factory: Factory }>
  private readonly connections = new Set<Connection>()
  private timers: DelayedCall[] = []
  private running = false
  /** When the current select() gives up waiting (performance.now() ms; Infinity: no limit). */
  private waitingUntil = Infinity

  constructor(emitter: EventEmitter) {
    this.emitter = emitter
    this.sel = new Selector(emitter)
  }

  listenTCP(listener: ListeningSocket, factory: Factory): void {
    this.sel.register(listener, EVENT_READ, { factory })
  }

  callLater(ms: number, call: () => void, conn?: ConnId): { cancel(): void } {
    const delayed: DelayedCall = { at: performance.now() + ms, conn, call, cancelled: false }
    const at = this.timers.findIndex((t) => t.at > delayed.at)
    this.timers.splice(at < 0 ? this.timers.length : at, 0, delayed)
    // A select() already waiting would sleep past this call: wake it to wait less.
    if (delayed.at < this.waitingUntil) this.sel.interrupt()
    return { cancel: () => void (delayed.cancelled = true) }
  }

  async run(): Promise<void> {
    this.running = true
    while (this.running) {
      const next = this.timers[0]
      this.waitingUntil = next ? next.at : Infinity
      const ready = await this.sel.select(next ? Math.max(0, next.at - performance.now()) : undefined)
      this.waitingUntil = -Infinity
      for (const { key, mask } of ready) {
        if (!this.running) return
        const data = key.data
        if ('factory' in data) this.doAccept(key.fileobj as ListeningSocket, data.factory)
        else {
          if (mask & EVENT_WRITE) this.doWrite(data)
          if (mask & EVENT_READ) this.doRead(data)
        }
      }
      this.runDueTimers()
    }
  }

  stop(): void {
    this.running = false
    this.sel.close()
    for (const connection of this.connections) connection.sock.abort()
    this.connections.clear()
  }

  /** Register what the connection waits for now, or close it once it is done writing. */
  update(c: Connection): void {
    if (c.lost) return
    if (c.transport.disconnecting && c.transport.outb.size === 0) {
      c.sock.close()
      return this.lose(c, undefined)
    }
    this.sel.modify(c.sock, (c.readClosed || c.transport.readingPaused ? 0 : EVENT_READ) | (c.transport.outb.size > 0 ? EVENT_WRITE : 0))
  }

  /** The connection is gone: connectionLost, once. */
  lose(c: Connection, reason: Error | undefined): void {
    if (c.lost) return
    c.lost = true
    this.sel.unregister(c.sock)
    this.connections.delete(c)
    const { conn } = c
    if (reason) {
      this.emitter.emit({ kind: 'error', conn, code: errnoCode(reason), message: reason.message })
      c.sock.abort()
    }
    this.emitter.emit(closeEvent(conn, reason ? 'error' : c.readClosed ? 'peer' : 'local', reason))
    this.callback(c, 'connectionLost', () => c.protocol.connectionLost(reason))
  }

  private doAccept(listener: ListeningSocket, factory: Factory): void {
    const next = listener.accept()
    if (!next) return
    const { socket, conn, remote, arrivedAt } = next
    const t = this.emitter.clock.nowUs()
    this.emitter.emit({ kind: 'accept', conn, remote, waitedUs: t - arrivedAt }, t)
    const c = { conn, sock: new NonBlockingSocket(socket, conn), readClosed: false, lost: false } as Connection
    if (!this.callback(c, 'buildProtocol', () => (c.protocol = factory.buildProtocol(remote)))) return void c.sock.abort()
    c.transport = new Transport(this, c, remote)
    this.connections.add(c)
    this.sel.register(c.sock, EVENT_READ, c)
    this.callback(c, 'connectionMade', () => c.protocol.makeConnection(c.transport))
    this.update(c)
  }

  private doRead(c: Connection): void {
    if (c.lost) return
    let data: Uint8Array | undefined
    try {
      data = c.sock.recv(READ_SIZE)
    } catch (err) {
      return this.lose(c, err as Error)
    }
    if (data === undefined) return
    if (data.byteLength > 0) {
      this.emitter.emit({ kind: 'recv', conn: c.conn, bytes: data.byteLength, preview: preview(data) })
      this.callback(c, 'dataReceived', () => c.protocol.dataReceived(data))
    } else {
      c.readClosed = true
      this.callback(c, 'readConnectionLost', () => c.protocol.readConnectionLost())
    }
    this.update(c)
  }

  private doWrite(c: Connection): void {
    if (c.lost) return
    try {
      const sent = c.transport.outb.sendTo(c.sock)
      if (sent.byteLength) this.emitter.emit({ kind: 'send', conn: c.conn, bytes: sent.byteLength, preview: preview(sent) })
    } catch (err) {
      return this.lose(c, err as Error)
    }
    const { transport } = c
    if (transport.producerPaused && transport.outb.roomy) {
      transport.producerPaused = false
      const producer = transport.producer!
      this.callback(c, 'resumeProducing', () => producer.resumeProducing())
    }
    this.update(c)
  }

  private runDueTimers(): void {
    const now = performance.now()
    while (this.running && this.timers[0] && this.timers[0].at <= now) {
      const { call, conn, cancelled } = this.timers.shift()!
      if (cancelled) continue
      const c = conn === undefined ? undefined : [...this.connections].find((x) => x.conn === conn)
      if (c) this.callback(c, 'callLater', call)
      else if (conn === undefined) call()
    }
  }

  /** Call a protocol method as a phase; like Twisted, a callback that raises loses its connection. */
  private callback(c: Connection, name: string, call: () => void): boolean {
    const { conn } = c
    this.emitter.emit({ kind: 'phase', conn, phase: name, edge: 'begin' })
    try {
      call()
      return true
    } catch (err) {
      this.emitter.emit({ kind: 'error', conn, code: 'CALLBACK_FAILED', message: `${name}: ${(err as Error).message}` })
      if (name !== 'connectionLost' && c.transport) this.lose(c, err as Error)
      return false
    } finally {
      this.emitter.emit({ kind: 'phase', conn, phase: name, edge: 'end' })
    }
  }
}

/** What every AppProtocol of one server shares. */
class AppFactory extends Factory {
  readonly reactor: Reactor
  readonly emitter: EventEmitter
  readonly app: App
  readonly options: AppOptions
  readonly delayMs: number
  readonly world = new LocalWorld('process')

  constructor(reactor: Reactor, emitter: EventEmitter, app: App, options: AppOptions, delayMs: number) {
    super()
    this.reactor = reactor
    this.emitter = emitter
    this.app = app
    this.options = options
    this.delayMs = delayMs
    this.protocol = AppProtocol
  }
}

/**
 * Any app as a Protocol: the app's handler runs inside the callbacks, as far as the
 * bytes delivered so far let it; it writes through the transport, sleeps with
 * callLater (the reactor is never blocked), and when it returns, loseConnection().
 */
class AppProtocol extends Protocol implements Producer {
  private readonly inbox: Uint8Array[] = []
  /** Bytes in the inbox: past READ_AHEAD_BYTES the transport stops reading until the handler takes them. */
  private inboxBytes = 0
  private eof = false
  private handler: SteppedHandler | undefined

  override connectionMade(): void {
    const factory = this.factory as AppFactory
    const transport = this.transport!
    const { conn } = transport
    const { reactor } = factory
    transport.registerProducer(this)
    this.handler = new SteppedHandler(
      connectionHandler('plain', factory.app, appContext(conn, factory.options), factory.delayMs),
      {
        recv: (max) => this.take(max),
        // Over the transport's bound, the handler waits in its send until resumeProducing().
        send: (data) => {
          transport.write(data)
          return transport.producerPaused
        },
        // callLater: only this protocol waits; the reactor goes on.
        blockingSleep: false,
        sleep: (ms, wake) => {
          reactor.callLater(ms, wake, conn)
          return false
        },
        later: (call) => void reactor.callLater(0, call, conn),
      },
      { emitter: factory.emitter, conn, world: factory.world },
      // Between callbacks the protocol waits for its next dataReceived: that wait is its own.
      { traceRecvWaits: true, onResumed: () => this.settle() },
    )
    this.handler.advance()
    this.settle()
  }

  override dataReceived(data: Uint8Array): void {
    this.inbox.push(data)
    this.inboxBytes += data.byteLength
    if (this.inboxBytes >= READ_AHEAD_BYTES) this.transport?.pauseProducing()
    this.handler?.advance()
    this.settle()
  }

  /** The handler's send waits on it (see the step io's send): nothing more to stop. */
  pauseProducing(): void {}

  resumeProducing(): void {
    this.handler?.roomToSend()
    this.settle()
  }

  override readConnectionLost(): void {
    this.eof = true
    this.handler?.advance()
    this.settle()
  }

  override connectionLost(reason: Error | undefined): void {
    if (this.handler && !this.handler.done) this.handler.abort(reason ?? new Error('connection lost'))
  }

  private take(max: number): Uint8Array | undefined {
    const head = this.inbox[0]
    if (!head) return this.eof ? new Uint8Array(0) : undefined
    let data: Uint8Array
    if (head.byteLength <= max) data = this.inbox.shift()!
    else {
      this.inbox[0] = head.subarray(max)
      data = head.subarray(0, max)
    }
    this.inboxBytes -= data.byteLength
    if (this.transport?.readingPaused && this.inboxBytes < READ_AHEAD_BYTES / 2) this.transport.resumeProducing()
    return data
  }

  private settle(): void {
    const handler = this.handler
    if (!handler?.done) return
    if (handler.failure) this.transport?.abortConnection(handler.failure)
    else this.transport?.loseConnection()
  }
}

/**
 * Seed 004's Twisted server: a Factory builds a Protocol per connection, and the reactor
 * calls it back: connectionMade, dataReceived (with whatever arrived), connectionLost.
 * Protocols write through transport.write() (buffered; the reactor writes when the socket
 * is writable) and end with transport.loseConnection().
 */
export const reactorModel: ServerModel = {
  name: 'reactor',
  summary: 'Twisted-style Protocol / Factory callbacks on one reactor loop: connectionMade, dataReceived, connectionLost (seed 004)',
  options: ['app', 'delay', 'ports'],

  async start(ctx: ModelContext): Promise<RunningServer> {
    const { emitter, spec } = ctx
    const reactor = new Reactor(emitter)
    const factory = new AppFactory(reactor, emitter, ctx.app, appOptions(spec), spec.delay * 1000)
    const listeners = new Map<number, ListeningSocket>()
    let stopping = false
    const listenerFor = (port: number) => {
      let listener = listeners.get(port)
      if (!listener) {
        listeners.set(port, (listener = new ListeningSocket(port, emitter)))
        reactor.listenTCP(listener, factory)
      }
      return listener
    }
    const servers = await listenOnPorts(ctx, (socket: net.Socket) => {
      if (stopping) return void socket.destroy()
      listenerFor(socket.localPort!).arrived(socket)
    })
    for (const server of servers) listenerFor(boundPort(server))
    const running = reactor.run()

    return runningServer(spec.host, servers, async () => {
      stopping = true
      reactor.stop()
      for (const server of servers) stopListening(server)
      for (const listener of listeners.values()) listener.close()
      await running.catch(() => {})
    })
  },
}
