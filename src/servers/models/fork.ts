import { type ChildProcess, fork } from 'node:child_process'
import type net from 'node:net'
import { ORIGIN_ENV } from '../clock.ts'
import { CHILD_EXEC_ARGV, childEnv, entryPath } from '../entries.ts'
import type { ConnId } from '../events.ts'
import type { ServeConnection } from '../host/protocol.ts'
import { handlerJob } from './connection.ts'
import { CappedAccept, listenTcp, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import type { HandlerStyle } from './request-handler.ts'

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

  const forkFor = (socket: net.Socket, conn: ConnId, ended: () => void) => {
    const child = fork(entryPath('fork-child'), [], {
      execArgv: CHILD_EXEC_ARGV,
      serialization: 'advanced',
      env: childEnv({ [ORIGIN_ENV]: String(emitter.clock.originNs) }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const pid = child.pid ?? -1
    children.set(pid, child)
    emitter.emit({ kind: 'fork', conn, childPid: pid })
    child.on('message', (msg: { type?: string; events?: never[] }) => {
      if (msg?.type === 'events' && Array.isArray(msg.events)) emitter.forward(msg.events)
    })
    child.on('error', (err) => {
      emitter.emit({ kind: 'error', conn, code: 'FORK_FAILED', message: err.message })
      // A child that could not start never exits: its place under the cap is free again.
      if (child.pid === undefined) {
        socket.destroy()
        ended()
      }
    })
    child.on('exit', (code, signal) => {
      children.delete(pid)
      ended()
      const exitedAt = emitter.emit({ kind: 'exit', childPid: pid, conn, code, signal }).t
      if (spec.reap === 'immediate')
        emitter.emit(
          { kind: 'reap', childPid: pid, conn, policy: 'immediate', trigger: 'exit', zombieUs: 0, modelled: true },
          exitedAt,
        )
      else zombies.push({ pid, conn, exitedAt })
    })
    const serve: ServeConnection = { type: 'serve', ...handlerJob(ctx, conn, style) }
    // The handle moves to the child; the parent's copy is closed once it has been sent.
    child.send(serve, socket, (err) => {
      if (err) {
        emitter.emit({ kind: 'error', conn, code: 'FORK_FAILED', message: `could not pass the socket: ${err.message}` })
        socket.destroy()
        child.kill('SIGKILL')
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
