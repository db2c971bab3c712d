/**
 * One connection's thread (thread model): runs the app as blocking straight-line code,
 * as the seeds' handleClient does in its own thread.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { findApp } from '../apps/index.ts'
import { createClock } from '../clock.ts'
import { EventEmitter } from '../emitter.ts'
import { appContext, closeEvent, errnoCode } from './connection.ts'
import { connectionHandler } from './request-handler.ts'
import { runBlocking } from './runtime.ts'
import { BlockingSocket, type ThreadWorkerData, type WorkerToMain } from './thread-channel.ts'
import { SharedWorld } from './world.ts'

const data = workerData as ThreadWorkerData
const emitter = new EventEmitter({
  clock: createClock(BigInt(data.originNs)),
  source: { role: 'server', run: data.run, pid: process.pid, tid: threadId },
  sink: (events) => parentPort!.postMessage({ type: 'events', events } satisfies WorkerToMain),
})
const { conn } = data
const socket = new BlockingSocket(data.signal, data.port)

emitter.emit({ kind: 'thread-start', conn, threadId })
let destroy = false
try {
  const handler = connectionHandler(data.style, findApp(data.app), appContext(conn, data.options), data.delayMs)
  const end = runBlocking(handler, socket, { emitter, conn, world: new SharedWorld(data.shared) })
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
data.port.close()
