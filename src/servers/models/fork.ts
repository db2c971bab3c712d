import { type ChildProcess, fork } from 'node:child_process'
import type net from 'node:net'
import { ORIGIN_ENV } from '../clock.ts'
import { CHILD_EXEC_ARGV, childEnv, entryPath } from '../entries.ts'
import type { ConnId, ModelledStart } from '../events.ts'
import type { ServeConnection } from '../host/protocol.ts'
import { handlerJob } from './connection.ts'
import { CappedAccept, listenTcp, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import type { HandlerStyle } from './request-handler.ts'
import { SparePool, spareStart } from './spares.ts'
import { startCosts } from './start-costs.ts'

/** Children forked ahead of their connection (see the pool below). */
const SPARES_FORK = 0

/** One child process: a spare until it is given its connection, then that connection's. */
interface ChildHandler {
  child: ChildProcess
  pid: number
  conn?: ConnId
  socket?: net.Socket
  ended?: () => void
}

interface Zombie {
  pid: number
  conn: ConnId
  exitedAt: number
}

/**
 * Seed 003's forking server: the parent accepts, forks one real child process per
 * connection and passes it the socket; the child serves that client and exits.
 *
 * Node reaps children itself as soon as they exit (libuv waits on SIGCHLD), so no real
 * zombie can exist here. The exit event is real; the reap event is where the chosen
 * policy would have reaped, marked `modelled`, and its zombieUs is the zombie interval
 * that policy leaves:
 *  - immediate: SIGCHLD ignored, reaped at exit (zero interval);
 *  - on-accept: reapChildren() before each new fork, as in the seed;
 *  - never: the zombie stays until the server itself exits.
 * At most --max-children children live at once (ForkingMixIn.max_children): at the cap
 * the server accepts no more until one exits.
 *
 * A Node child boots a V8 isolate (tens to hundreds of ms; a fork() costs microseconds to
 * a few ms). Each child is started for its connection and exits with it; the fork event
 * says that its start was Node's, and what os.fork() costs in Python on this machine
 * (start-costs.ts). The spare pool (spares.ts) keeps none for fork for now (see below); it
 * still counts live children against --max-children.
 */
export const forkModel: ServerModel = {
  name: 'fork',
  summary: 'one child process per client, socket handed over; exit, zombie, reap (seed 003)',
  options: ['app', 'delay', 'reap', 'maxChildren'],
  start: (ctx) => startForkServer(ctx, 'plain'),
}

/**
 * The process-per-connection machinery, also socketserver's ForkingMixIn. Each child
 * serves with its own copy of the app's state: what one connection's child writes, no
 * other connection sees (the state events say 'copy', under the child's pid).
 */
export async function startForkServer(ctx: ModelContext, style: HandlerStyle): Promise<RunningServer> {
  const { emitter, spec } = ctx
  const children = new Map<number, ChildProcess>()
  const zombies: Zombie[] = []
  const costs = await startCosts()
  const modelledStart: ModelledStart | undefined = costs && { us: costs.forkUs, call: 'os.fork()', by: costs.by }
  let stopping = false

  const reap = (trigger: 'accept' | 'server-exit') => {
    const t = emitter.clock.nowUs()
    for (const z of zombies.splice(0)) {
      emitter.emit(
        { kind: 'reap', childPid: z.pid, conn: z.conn, policy: spec.reap, trigger, zombieUs: t - z.exitedAt, modelled: true },
        t,
      )
    }
  }

  const startChild = () => {
    const child = fork(entryPath('fork-child'), [], {
      execArgv: CHILD_EXEC_ARGV,
      serialization: 'advanced',
      env: childEnv({ [ORIGIN_ENV]: String(emitter.clock.originNs) }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const handler: ChildHandler = { child, pid: child.pid ?? -1 }
    if (child.pid !== undefined) children.set(child.pid, child)
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (msg: { type?: string; events?: never[] }) => {
        if (msg?.type === 'events' && Array.isArray(msg.events)) {
          emitter.forward(msg.events)
          // Acknowledged once this process's own channel has room (emitter.ts): the child's
          // handler waits at its gate meanwhile, as this process's own handlers would.
          const acknowledge = () => child.connected && child.send({ type: 'taken' }, (err) => void err)
          const room = emitter.gate.whenOpen()
          if (room) void room.then(acknowledge)
          else acknowledge()
        }
        else if (msg?.type === 'ready') resolve()
      })
      child.on('error', (err) => {
        reject(err)
        if (!handler.conn) return pool.lost(handler)
        emitter.emit({ kind: 'error', conn: handler.conn, code: 'FORK_FAILED', message: err.message })
        // A child that could not start never exits: its place under the cap is free again.
        if (child.pid === undefined) {
          handler.socket?.destroy()
          handler.ended?.()
          pool.released()
        }
      })
      child.on('exit', (code, signal) => {
        children.delete(handler.pid)
        reject(new Error('the child exited before it was given a connection'))
        const { conn } = handler
        if (!conn) return pool.lost(handler)
        handler.ended?.()
        pool.released()
        const exitedAt = emitter.emit({ kind: 'exit', childPid: handler.pid, conn, code, signal }).t
        if (spec.reap === 'immediate')
          emitter.emit(
            { kind: 'reap', childPid: handler.pid, conn, policy: 'immediate', trigger: 'exit', zombieUs: 0, modelled: true },
            exitedAt,
          )
        else zombies.push({ pid: handler.pid, conn, exitedAt })
      })
    })
    // A spare that fails is reported when it is given a connection (its error above), not before.
    ready.catch(() => {})
    return { spare: handler, ready }
  }
  const pool = new SparePool<ChildHandler>({
    // No child is forked ahead for now: a pre-forked Node child runs its handler code cold
    // on its first connection, and its first batches then reach the lab later than the
    // merger's holdback (the live stream went out of order). Each connection starts its
    // child, and the fork event says what that costs against a real fork(). The pool stays
    // at size 0 until a spare can be warmed before it is handed a socket.
    size: Math.min(SPARES_FORK, spec.maxChildren),
    cap: spec.maxChildren,
    clock: emitter.clock,
    start: startChild,
    // A spare has no connection and nothing to report: it goes at once, not through SIGTERM's flush.
    dispose: (handler) => void handler.child.kill('SIGKILL'),
  })

  const forkFor = (socket: net.Socket, conn: ConnId, ended: () => void) => {
    const taken = pool.take()
    const handler = taken.spare
    Object.assign(handler, { conn, socket, ended })
    const spare = spareStart(taken, pool.size)
    emitter.emit({ kind: 'fork', conn, childPid: handler.pid, ...(spare && { spare }), ...(modelledStart && { modelledStart }) })
    const serve: ServeConnection = { type: 'serve', ...handlerJob(ctx, conn, style) }
    // The handle moves to the child; the parent's copy is closed once it has been sent.
    handler.child.send(serve, socket, (err) => {
      if (err) {
        emitter.emit({ kind: 'error', conn, code: 'FORK_FAILED', message: `could not pass the socket: ${err.message}` })
        socket.destroy()
        handler.child.kill('SIGKILL')
      }
    })
  }

  const accepting = new CappedAccept(emitter, spec.maxChildren, (socket, conn, ended) => {
    if (spec.reap === 'on-accept') reap('accept')
    forkFor(socket, conn, ended)
  })
  const server = await listenTcp(ctx, (socket) => {
    if (stopping) return void socket.destroy()
    accepting.arrived(socket)
  })
  accepting.listening()

  return runningServer(spec.host, [server], async () => {
    stopping = true
    pool.stop()
    accepting.stop()
    stopListening(server)
    const exits = [...children.values()].map(
      (child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))),
    )
    for (const child of children.values()) child.kill('SIGTERM')
    await Promise.all(exits)
    // The server is going away: init adopts whatever zombies it leaves and reaps them.
    reap('server-exit')
  })
}
