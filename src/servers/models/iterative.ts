import type net from 'node:net'
import { appOptions, served } from '../apps/app.ts'
import type { ConnId } from '../events.ts'
import { appContext, finishConnection, remoteOf, serverConnId } from './connection.ts'
import { listenTcp, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import { runAsync, SocketIo } from './runtime.ts'
import { LocalWorld } from './world.ts'

interface Waiting {
  socket: net.Socket
  conn: ConnId
  queuedAt: number
}

/**
 * Seed 000's naive server: one connection at a time. Connections that arrive meanwhile
 * are complete TCP connections waiting in the accept queue; they are taken in arrival
 * order once the current one is closed. (Node's runtime drains the kernel's backlog as
 * connections complete, so the queue is kept here, in arrival order, with the same
 * meaning: established, not yet accepted, nothing read.)
 */
export const iterativeModel: ServerModel = {
  name: 'iterative',
  summary: 'one client at a time; the others wait in the accept queue (seed 000)',
  options: ['app', 'delay'],

  async start(ctx: ModelContext): Promise<RunningServer> {
    const { emitter } = ctx
    const world = new LocalWorld('process')
    const queue: Waiting[] = []
    let wake: (() => void) | undefined
    let current: net.Socket | undefined
    let stopping = false

    const server = await listenTcp(ctx, (socket) => {
      const conn = serverConnId(socket)
      // A queued client may give up before its turn; it must not take the server down.
      socket.on('error', () => {})
      queue.push({ socket, conn, queuedAt: emitter.emit({ kind: 'queued', conn, depth: queue.length + 1 }).t })
      wake?.()
    })

    const nextConnection = async (): Promise<Waiting | undefined> => {
      if (queue.length === 0) {
        const blockedAt = emitter.emit({ kind: 'block', on: 'accept' }).t
        while (queue.length === 0 && !stopping) await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
        if (stopping) return undefined
        const t = emitter.clock.nowUs()
        emitter.emit({ kind: 'unblock', on: 'accept', blockedUs: t - blockedAt }, t)
      }
      return queue.shift()
    }

    const serveLoop = async () => {
      while (!stopping) {
        const next = await nextConnection()
        if (!next) return
        const { socket, conn, queuedAt } = next
        const t = emitter.clock.nowUs()
        emitter.emit({ kind: 'accept', conn, remote: remoteOf(socket), waitedUs: t - queuedAt }, t)
        current = socket
        const io = new SocketIo(socket)
        socket.resume()
        try {
          const end = await runAsync(served(ctx.app, appContext(conn, appOptions(ctx.spec)), ctx.spec.delay * 1000), io, { emitter, conn, world })
          finishConnection(emitter, conn, socket, end)
        } catch (err) {
          finishConnection(emitter, conn, socket, 'error', err as Error)
        }
        current = undefined
      }
    }
    const loop = serveLoop()

    return runningServer(ctx.spec.host, [server], async () => {
      stopping = true
      wake?.()
      current?.destroy()
      for (const waiting of queue.splice(0)) waiting.socket.destroy()
      // The loop may sit in a handler's sleep; the host process ends it by exiting.
      void loop.catch(() => {})
      stopListening(server)
    })
  },
}
