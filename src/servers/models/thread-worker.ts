/**
 * One connection's thread (thread model): started ahead of time, it boots, parks until
 * the server hands it a connection, then runs the app as blocking straight-line code, as
 * the seeds' handleClient does in its own thread, and ends with that connection.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { findApp } from '../apps/index.ts'
import { createClock } from '../clock.ts'
import { EventEmitter, EventGate } from '../emitter.ts'
import { appContext, closeEvent, errnoCode } from './connection.ts'
import { connectionHandler } from './request-handler.ts'
import { runBlocking } from './runtime.ts'
import { BlockingSocket, type ThreadJob, type ThreadWorkerData, type WorkerToMain } from './thread-channel.ts'
import { SharedWorld } from './world.ts'

const boot = workerData as ThreadWorkerData

/** This thread's id in the kernel: the task of this process that bears its name (the newest first: it was just created). */
function ownOsTid(name: string): number | undefined {
  try {
    const tids = readdirSync('/proc/self/task').map(Number).sort((a, b) => b - a)
    for (const tid of tids) {
      try {
        if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === name) return tid
      } catch {}
    }
  } catch {}
  return undefined
}

const osTid = ownOsTid(boot.name)
const hostGate = new EventGate(boot.gate)

function serve(job: ThreadJob): void {
  const emitter = new EventEmitter({
    clock: createClock(BigInt(boot.originNs)),
    source: { role: 'server', run: job.run, pid: process.pid, tid: threadId },
    // Taken at once: the host's main thread forwards it into its own emitter, whose channel
    // to the lab is the bound; this thread waits at that emitter's gate (shared memory).
    sink: (events, _upTo, taken) => {
      parentPort!.postMessage({ type: 'events', events } satisfies WorkerToMain)
      taken()
    },
    gate: hostGate,
  })
  const { conn } = job
  const socket = new BlockingSocket(job.signal, job.port)

  emitter.emit({
    kind: 'thread-start',
    conn,
    threadId,
    ...(osTid !== undefined && { osTid }),
    ...(job.spare && { spare: job.spare }),
    ...(job.modelledStart && { modelledStart: job.modelledStart }),
  })
  let destroy = false
  try {
    const handler = connectionHandler(job.style, findApp(job.app), appContext(conn, job.options), job.delayMs)
    const end = runBlocking(handler, socket, { emitter, conn, world: new SharedWorld(boot.shared) })
    emitter.emit({ kind: 'close', conn, by: end })
  } catch (err) {
    emitter.emit({ kind: 'error', conn, code: errnoCode(err as Error), message: (err as Error).message })
    emitter.emit(closeEvent(conn, 'error', err as Error))
    destroy = true
  }
  // Everything this thread has to report goes out before its client can see the end: a server
  // stopped the moment its last client leaves terminates its threads, and a thread cut off
  // between closing and reporting would leave its connection open in the trace for good.
  emitter.emit({ kind: 'thread-end', conn, threadId })
  emitter.flush()
  socket.end(destroy)
  job.port.close()
  // Nothing keeps the thread now: it ends with its connection.
}

// Parked: the thread sleeps in its event loop (epoll_wait) until its connection comes.
parentPort!.once('message', serve)
parentPort!.postMessage({ type: 'ready' } satisfies WorkerToMain)
