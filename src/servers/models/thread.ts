import type net from 'node:net'
import { Worker } from 'node:worker_threads'
import { CHILD_EXEC_ARGV, entryPath } from '../entries.ts'
import type { SockscopeEvent } from '../events.ts'
import { handlerJob } from './connection.ts'
import { CappedAccept, listenTcp, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import type { HandlerStyle } from './request-handler.ts'
import { createSocketPipe, type ThreadWorkerData, type WorkerToMain } from './thread-channel.ts'
import { createSharedMemory } from './world.ts'

/**
 * Seed 003's thread server (and seed 002's TServer): the main thread accepts and starts
 * one real OS thread (a worker thread) per connection. The handler in that thread is
 * straight-line blocking code: recv puts the thread to sleep in the kernel until bytes or
 * EOF arrive, sleep blocks only that thread. The main thread owns the socket and moves
 * bytes to and from the worker through shared memory. At most --max-threads handler
 * threads live at once: at the cap the server accepts no more until one ends.
 */
export const threadModel: ServerModel = {
  name: 'thread',
  summary: 'one thread per client running blocking handler code (seeds 000, 002, 003)',
  options: ['app', 'delay', 'maxThreads'],
  start: (ctx) => startThreadServer(ctx, 'plain'),
}

/** The thread-per-connection machinery, also socketserver's ThreadingMixIn. */
export async function startThreadServer(ctx: ModelContext, style: HandlerStyle): Promise<RunningServer> {
  const { emitter, spec } = ctx
  const workers = new Set<Worker>()
  // The app's state for every thread: each worker is its own V8 isolate, so only a
  // SharedArrayBuffer is memory they all really share.
  const shared = createSharedMemory()
  let stopping = false

  const accepting = new CappedAccept(emitter, spec.maxThreads, (socket: net.Socket, conn, ended) => {
    const pipe = createSocketPipe(socket)
    const workerData: ThreadWorkerData = {
      ...handlerJob(ctx, conn, style),
      shared,
      originNs: String(emitter.clock.originNs),
      signal: pipe.signal,
      port: pipe.workerPort,
    }
    const worker = new Worker(entryPath('thread-worker'), {
      workerData,
      transferList: [pipe.workerPort],
      execArgv: CHILD_EXEC_ARGV,
    })
    workers.add(worker)
    worker.on('message', (msg: WorkerToMain) => {
      if (msg.type === 'events') emitter.forward(msg.events as SockscopeEvent[])
    })
    worker.on('error', (err) => emitter.emit({ kind: 'error', conn, code: 'THREAD_FAILED', message: err.message }))
    worker.on('exit', () => {
      workers.delete(worker)
      pipe.dispose()
      ended()
    })
  })
  const server = await listenTcp(ctx, (socket: net.Socket) => {
    if (stopping) return void socket.destroy()
    accepting.arrived(socket)
  })
  accepting.listening()

  return runningServer(spec.host, [server], async () => {
    stopping = true
    accepting.stop()
    stopListening(server)
    await Promise.all([...workers].map((worker) => worker.terminate()))
  })
}
