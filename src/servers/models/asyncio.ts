import type net from 'node:net'
import { appOptions } from '../apps/app.ts'
import type { EventEmitter } from '../emitter.ts'
import type { BlockReason, ConnId } from '../events.ts'
import { appContext, finishConnection, remoteOf, serverConnId } from './connection.ts'
import { listenOnPorts, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import { connectionHandler } from './request-handler.ts'
import { runAsync, SocketIo, type TaskSwitches } from './runtime.ts'
import { LocalWorld } from './world.ts'

/**
 * Seed 001's asyncio alternative: `asyncio.start_server(handle, ...)` starts one task (a
 * coroutine) per connection, all on one thread's event loop. A task runs until it awaits
 * (recv, a send that must wait for room, sleep, a lock), and only there can another task
 * run: each await is a block / unblock pair of that task (`waiter: 'task'`), never of the
 * loop. So --delay is `await asyncio.sleep()`, which stalls nobody else, and a
 * read-modify-write with an await in the middle can lose updates even on one thread.
 * When no task can run, the loop itself waits in select() (see LoopWatch).
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
    let servers: net.Server[] = []
    // asyncio's transports keep reading: every open connection is in the selector, with the listeners.
    const loop = new LoopWatch(emitter, () => servers.length + open.size)
    let tasks = 0
    let stopping = false

    const handle = async (socket: net.Socket) => {
      loop.accepted(`listen:${socket.localPort}`)
      const conn = serverConnId(socket)
      emitter.emit({ kind: 'accept', conn, remote: remoteOf(socket), waitedUs: 0 })
      // asyncio's own names for tasks it creates.
      const task = `Task-${++tasks}`
      emitter.emit({ kind: 'task-start', conn, task })
      open.add(socket)
      const io = new SocketIo(socket)
      socket.resume()
      try {
        const end = await runAsync(connectionHandler('plain', app, appContext(conn, options), spec.delay * 1000), io, { emitter, conn, world, waiter: 'task', tasks: loop })
        finishConnection(emitter, conn, socket, end)
      } catch (err) {
        finishConnection(emitter, conn, socket, 'error', err as Error)
      }
      open.delete(socket)
      emitter.emit({ kind: 'task-end', conn, task })
      loop.finished()
    }

    servers = await listenOnPorts(ctx, (socket) => {
      if (stopping) return void socket.destroy()
      void handle(socket)
    })
    loop.start()

    return runningServer(spec.host, servers, async () => {
      stopping = true
      loop.stop()
      for (const server of servers) stopListening(server)
      for (const socket of open) socket.destroy()
    })
  },
}

/**
 * asyncio's event loop as its tasks make it go. It runs a task until the task awaits;
 * when none is left to run, it waits in select() (epoll) on every socket it watches until
 * one is ready or a sleeping task's timer is due. This turns the tasks' switches into the
 * loop's own events: a `block` on 'select' when it goes idle (how many sockets, how long
 * at most), and a `wakeup` with what was ready when it goes on.
 *
 * A turn of Node's loop runs every callback that is ready (I/O, then timers) before it
 * waits again, as asyncio's `_run_once` runs every ready callback: so the loop is idle
 * only if no task runs at the end of a turn (setImmediate runs after the poll phase), and
 * a wake-up's ready set holds every task that went on in its turn.
 */
class LoopWatch implements TaskSwitches {
  private readonly emitter: EventEmitter
  private readonly sockets: () => number
  /** Tasks running or about to run in this turn (the accept of a new connection included). */
  private running = 0
  /** When the loop began to wait in select(); undefined while it runs. */
  private waitingSince: number | undefined
  /** How many waits in select() so far. */
  private waits = 0
  /** The turn since the last wait ended: when it woke, and what went on in it. */
  private turn: { t: number; waitedUs: number; readable: string[]; writable: string[] } | undefined
  private endOfTurnQueued = false
  /** Sleeping tasks' timers (performance.now() ms when due). */
  private readonly timers = new Set<{ due: number }>()
  private stopped = false

  constructor(emitter: EventEmitter, sockets: () => number) {
    this.emitter = emitter
    this.sockets = sockets
  }

  /** The server listens: at the end of this turn the loop waits for its first connection. */
  start(): void {
    this.endOfTurn()
  }

  stop(): void {
    this.stopped = true
  }

  /** A connection accepted on a ready listener: its task begins to run. */
  accepted(listener: string): void {
    this.run(listener, undefined)
  }

  /** A task ended. */
  finished(): void {
    this.running--
    this.endOfTurn()
  }

  suspend(conn: ConnId, on: BlockReason, sleepMs?: number): () => void {
    const timer = sleepMs === undefined ? undefined : { due: performance.now() + sleepMs }
    if (timer) this.timers.add(timer)
    const waitsBefore = this.waits
    this.running--
    this.endOfTurn()
    return () => {
      if (timer) this.timers.delete(timer)
      // A task that goes on without the loop having waited (its bytes were there) is no part
      // of a wake-up. Else what woke it: its socket readable (recv), writable (send), or a
      // timer / a lock handed over (neither).
      const woken = this.waits > waitsBefore
      this.run(woken && on === 'recv' ? conn : undefined, woken && on === 'send' ? conn : undefined)
    }
  }

  private run(readable: string | undefined, writable: string | undefined): void {
    if (this.waitingSince !== undefined) {
      const t = this.emitter.clock.nowUs()
      this.turn = { t, waitedUs: t - this.waitingSince, readable: [], writable: [] }
      this.waitingSince = undefined
    }
    if (this.turn) {
      if (readable !== undefined && !this.turn.readable.includes(readable)) this.turn.readable.push(readable)
      if (writable !== undefined && !this.turn.writable.includes(writable)) this.turn.writable.push(writable)
    }
    this.running++
    this.endOfTurn()
  }

  private endOfTurn(): void {
    if (this.endOfTurnQueued) return
    this.endOfTurnQueued = true
    setImmediate(() => {
      this.endOfTurnQueued = false
      if (this.stopped) return
      const turn = this.turn
      if (turn) {
        this.turn = undefined
        // Stamped when the loop woke: the tasks' own events of this turn come after it.
        this.emitter.emit({ kind: 'wakeup', readable: turn.readable, writable: turn.writable, waitedUs: turn.waitedUs }, turn.t)
      }
      if (this.running > 0 || this.waitingSince !== undefined) return
      let due = Infinity
      for (const timer of this.timers) due = Math.min(due, timer.due)
      const timeout = Number.isFinite(due) ? { timeoutMs: Math.max(0, Math.round((due - performance.now()) * 10) / 10) } : {}
      this.waits++
      this.waitingSince = this.emitter.emit({ kind: 'block', on: 'select', sockets: this.sockets(), ...timeout }).t
    })
  }
}
