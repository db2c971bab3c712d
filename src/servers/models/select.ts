import type net from 'node:net'
import { appOptions } from '../apps/app.ts'
import { preview } from '../connection-id.ts'
import type { ConnId } from '../events.ts'
import { appContext, closeEvent, errnoCode } from './connection.ts'
import { boundPort, listenOnPorts, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import { connectionHandler } from './request-handler.ts'
import { SteppedHandler, sleepThread, type StepIo } from './runtime.ts'
import { EVENT_READ, EVENT_WRITE, ListeningSocket, NonBlockingSocket, OutputBuffer, Selector, type SelectorKey } from './selector.ts'
import { LocalWorld } from './world.ts'

/** Seed 001's `types.SimpleNamespace(addr=..., inb=b"", outb=b"")`: what the loop keeps per connection. */
interface Client {
  conn: ConnId
  sock: NonBlockingSocket
  handler: SteppedHandler
  /** --write-select: bytes the handler sent that wait for the socket to be writable. */
  outb: OutputBuffer
  /** A failed write (the handler may have finished already). */
  failure: Error | undefined
  closed: boolean
}

/**
 * Seeds 001 and 003's select server: one thread, one loop. Register the listening
 * sockets; wait in select() for whatever is ready; accept on a ready listener, serve a
 * ready connection; repeat. Every wake-up is a `wakeup` event with the ready sets.
 *
 * Handlers run only as far as they can without waiting for the network: a recv with
 * nothing there parks the handler, and the loop resumes it when its socket is readable.
 * Everything else runs on the loop's one thread, and so stalls it:
 *  - a sleep (the seeds' time.sleep, --delay) blocks the thread: every client waits;
 *  - a send, without --write-select, is a blocking sendall(): a client that does not read
 *    fills the kernel's buffers, and the whole loop waits in that send (block on 'send');
 *  - with --write-select, sent bytes go to the connection's output buffer, the socket is
 *    registered for EVENT_WRITE, and the loop writes when select() says it can (seed 001).
 *    Only while there is something to send: seed 001 registers every connection for
 *    EVENT_WRITE always, so its loop never sleeps while any client is connected.
 */
export const selectModel: ServerModel = {
  name: 'select',
  summary: 'one thread, one readiness loop over every socket; a slow handler or a blocking send stalls everyone (seeds 001, 003)',
  options: ['app', 'delay', 'ports', 'writeSelect'],

  async start(ctx: ModelContext): Promise<RunningServer> {
    const { emitter, spec, app } = ctx
    const options = appOptions(spec)
    const world = new LocalWorld('process')
    const sel = new Selector<Client | undefined>(emitter)
    const listeners = new Map<number, ListeningSocket>()
    /** Handlers to resume on the loop's next turn (a lock handed over). */
    const soon: Array<() => void> = []
    let stopping = false

    const listenerFor = (port: number) => {
      let lsock = listeners.get(port)
      if (!lsock) {
        listeners.set(port, (lsock = new ListeningSocket(port, emitter)))
        sel.register(lsock, EVENT_READ, undefined)
      }
      return lsock
    }
    const servers = await listenOnPorts(ctx, (socket: net.Socket) => {
      if (stopping) return void socket.destroy()
      listenerFor(socket.localPort!).arrived(socket)
    })
    for (const server of servers) listenerFor(boundPort(server))

    const sendBlocking = (client: Client, data: Uint8Array) => {
      const { conn } = client
      emitter.emit({ kind: 'send', conn, bytes: data.byteLength, preview: preview(data) })
      let blockedAt: number | undefined
      try {
        client.sock.sendall(data, () => {
          blockedAt = emitter.emit({ kind: 'block', conn, on: 'send', cause: 'peer-not-reading' }).t
          // The loop is about to stop dead: what happened so far must not wait with it. (If
          // the channel to the lab is itself backed up, these leave only once the send
          // returns, with their times still exact: a stuck process cannot report.)
          emitter.flush()
        })
      } finally {
        if (blockedAt !== undefined) {
          const t = emitter.clock.nowUs()
          emitter.emit({ kind: 'unblock', conn, on: 'send', blockedUs: t - blockedAt }, t)
        }
      }
    }

    const stepIo = (client: Client): StepIo => ({
      recv(max) {
        const data = client.sock.recv(max)
        if (data?.byteLength) emitter.emit({ kind: 'recv', conn: client.conn, bytes: data.byteLength, preview: preview(data) })
        return data
      },
      send(data) {
        if (!spec.writeSelect) {
          sendBlocking(client, data)
          return false
        }
        client.outb.push(data)
        // Seed 001's outb has no bound; this one has: the handler waits for the peer to drain it.
        return client.outb.full
      },
      // time.sleep on the loop's one thread: every connection waits for it.
      blockingSleep: true,
      sleep(ms) {
        emitter.flush()
        sleepThread(ms)
        return true
      },
      later(fn) {
        soon.push(fn)
        sel.interrupt()
      },
    })

    /** After the handler or the socket moved: register what it waits for, or close it. */
    const settle = (client: Client) => {
      if (client.closed) return
      const { handler, sock, conn } = client
      const failure = client.failure ?? handler.failure
      if (failure || (handler.done && client.outb.size === 0)) {
        client.closed = true
        sel.unregister(sock)
        if (failure) {
          emitter.emit({ kind: 'error', conn, code: errnoCode(failure), message: failure.message })
          emitter.emit(closeEvent(conn, 'error', failure))
          sock.abort()
        } else {
          emitter.emit({ kind: 'close', conn, by: handler.end! })
          sock.close()
        }
        return
      }
      sel.modify(sock, (handler.wantsBytes ? EVENT_READ : 0) | (client.outb.size > 0 ? EVENT_WRITE : 0))
    }

    const acceptWrapper = (lsock: ListeningSocket) => {
      const next = lsock.accept()
      if (!next) return
      const { socket, conn, remote, arrivedAt } = next
      const t = emitter.clock.nowUs()
      emitter.emit({ kind: 'accept', conn, remote, waitedUs: t - arrivedAt }, t)
      const client = { conn, sock: new NonBlockingSocket(socket, conn), outb: new OutputBuffer(), failure: undefined, closed: false } as Client
      client.handler = new SteppedHandler(
        connectionHandler('plain', app, appContext(conn, options), spec.delay * 1000),
        stepIo(client),
        { emitter, conn, world },
        { traceRecvWaits: true, onResumed: () => settle(client) },
      )
      sel.register(client.sock, 0, client)
      client.handler.advance()
      settle(client)
    }

    const serviceConnection = (key: SelectorKey<Client | undefined>, mask: number) => {
      const client = key.data!
      if (mask & EVENT_WRITE) {
        try {
          const sent = client.outb.sendTo(client.sock)
          if (sent.byteLength) emitter.emit({ kind: 'send', conn: client.conn, bytes: sent.byteLength, preview: preview(sent) })
          if (client.handler.waiting === 'send' && client.outb.roomy) client.handler.roomToSend()
        } catch (err) {
          client.failure = err as Error
          client.handler.abort(err as Error)
        }
      }
      if (mask & EVENT_READ && !client.failure) client.handler.advance()
      settle(client)
    }

    const loop = (async () => {
      while (!stopping) {
        const events = await sel.select(soon.length ? 0 : undefined)
        for (const resume of soon.splice(0)) resume()
        for (const { key, mask } of events) {
          if (stopping) break
          if (key.data === undefined) acceptWrapper(key.fileobj as ListeningSocket)
          else serviceConnection(key, mask)
        }
      }
    })()

    return runningServer(spec.host, servers, async () => {
      stopping = true
      const open = sel.registered()
      sel.close()
      for (const server of servers) stopListening(server)
      for (const lsock of listeners.values()) lsock.close()
      for (const key of open) key.data?.sock.abort()
      await loop.catch(() => {})
    })
  },
}
