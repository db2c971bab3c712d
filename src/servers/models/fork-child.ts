/**
 * A forked connection handler (fork model): started ahead of time, it boots, says it is
 * ready and waits for its one socket from the server process; then it serves it with the
 * app, reports its events to the parent, and exits.
 */
import type net from 'node:net'
import { findApp } from '../apps/index.ts'
import { clockFromEnv } from '../clock.ts'
import { EVENTS_IN_FLIGHT, EventEmitter } from '../emitter.ts'
import type { ServeConnection } from '../host/protocol.ts'
import { appContext, finishConnection } from './connection.ts'
import { connectionHandler } from './request-handler.ts'
import { runAsync, SocketIo } from './runtime.ts'
import { LocalWorld } from './world.ts'

const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()))

let emitter: EventEmitter | undefined
/** Batches sent to the server and not yet acknowledged, oldest first (see the 'taken' message). */
const unacknowledged: (() => void)[] = []

// The parent gone means the server is gone: a handler must not outlive it.
process.on('disconnect', () => process.exit(0))
// The server stopping: report what this handler saw, then go.
process.on('SIGTERM', () => {
  emitter?.flush()
  void send({ type: 'flushed' }).then(() => process.exit(0))
})

// The server has passed a batch on (it acknowledges one only while its own channel to the
// lab has room): that is when this child's batch counts as taken, so a full channel at
// the server holds this child's handler too.
process.on('message', (message: { type?: string }) => {
  if (message?.type === 'taken') unacknowledged.shift()?.()
})

process.once('message', async (message: ServeConnection, handle: unknown) => {
  const socket = handle as net.Socket
  emitter = new EventEmitter({
    clock: clockFromEnv(),
    source: { role: 'server', run: message.run, pid: process.pid, tid: 0 },
    sink: (events, upTo, taken) => {
      unacknowledged.push(taken)
      void send({ type: 'events', events, upTo })
    },
    // Two full batches on their way: past that the server is behind, or its own channel full.
    maxInFlight: EVENTS_IN_FLIGHT / 2,
  })
  const { conn } = message
  // As the server's sockets: a client that shuts down its sending side still gets its replies.
  socket.allowHalfOpen = true
  const io = new SocketIo(socket)
  socket.resume()
  // A forked child starts from its parent's memory and goes its own way: its own copy.
  const world = new LocalWorld('copy')
  try {
    const handler = connectionHandler(message.style, findApp(message.app), appContext(conn, message.options), message.delayMs)
    const end = await runAsync(handler, io, { emitter, conn, world })
    finishConnection(emitter, conn, socket, end)
  } catch (err) {
    finishConnection(emitter, conn, socket, 'error', err as Error)
  }
  await new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())))
  emitter.flush()
  await send({ type: 'flushed' })
  // os._exit(0) in the seed: the child ends as soon as its client is served.
  process.exit(0)
})

// Booted: from here on, a connection handed over is served at once.
void send({ type: 'ready' })
