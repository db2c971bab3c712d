import type net from 'node:net'
import { appOptions } from '../apps/app.ts'
import { appContext, finishConnection, remoteOf, serverConnId } from './connection.ts'
import { listenOnPorts, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import { connectionHandler } from './request-handler.ts'
import { runAsync, SocketIo } from './runtime.ts'
import { LocalWorld } from './world.ts'

/**
 * Seed 001's asyncio alternative: `asyncio.start_server(handle, ...)` starts one task (a
 * coroutine) per connection, all on one thread's event loop. A task runs until it awaits
 * (recv, a send that must wait for room, sleep, a lock), and only there can another task
 * run: each await is a block / unblock pair on the timeline. So --delay is
 * `await asyncio.sleep()`, which stalls nobody else, and a read-modify-write with an
 * await in the middle can lose updates even on one thread.
 */
export const asyncioModel: ServerModel = {
  name: 'asyncio',
  summary: 'a coroutine per client on one event loop; awaits are the only switch points (seed 001)',
  options: ['app', 'delay', 'ports'],

  async start(ctx: ModelContext): Promise<RunningServer> {
    const { emitter, spec, app } = ctx
    const options = appOptions(spec)
    const world = new LocalWorld('process')
    const open = new Set<net.Socket>()
    let tasks = 0
    let stopping = false

    const handle = async (socket: net.Socket) => {
      const conn = serverConnId(socket)
      emitter.emit({ kind: 'accept', conn, remote: remoteOf(socket), waitedUs: 0 })
      // asyncio's own names for tasks it creates.
      const task = `Task-${++tasks}`
      emitter.emit({ kind: 'task-start', conn, task })
      open.add(socket)
      const io = new SocketIo(socket)
      socket.resume()
      try {
        const end = await runAsync(connectionHandler('plain', app, appContext(conn, options), spec.delay * 1000), io, { emitter, conn, world })
        finishConnection(emitter, conn, socket, end)
      } catch (err) {
        finishConnection(emitter, conn, socket, 'error', err as Error)
      }
      open.delete(socket)
      emitter.emit({ kind: 'task-end', conn, task })
    }

    const servers = await listenOnPorts(ctx, (socket) => {
      if (stopping) return void socket.destroy()
      void handle(socket)
    })

    return runningServer(spec.host, servers, async () => {
      stopping = true
      for (const server of servers) stopListening(server)
      for (const socket of open) socket.destroy()
    })
  },
}
