import type net from 'node:net'
import { Worker } from 'node:worker_threads'
import { CHILD_EXEC_ARGV, entryPath } from '../entries.ts'
import type { ConnId, ModelledStart, SockscopeEvent } from '../events.ts'
import { handlerJob } from './connection.ts'
import { CappedAccept, listenTcp, runningServer, stopListening } from './listen.ts'
import type { ModelContext, RunningServer, ServerModel } from './model.ts'
import type { HandlerStyle } from './request-handler.ts'
import { SparePool, spareStart, SPARES } from './spares.ts'
import { startCosts } from './start-costs.ts'
import { createSocketPipe, type SocketPipe, type ThreadJob, type ThreadWorkerData, type WorkerToMain } from './thread-channel.ts'
import { createSharedMemory } from './world.ts'

/**
 * Seed 003's thread server (and seed 002's TServer): the main thread accepts and gives
 * each connection one real OS thread (a worker thread) of its own. The handler in that
 * thread is straight-line blocking code: recv puts the thread to sleep in the kernel until
 * bytes or EOF arrive, sleep blocks only that thread. The main thread owns the socket and
 * moves bytes to and from the worker through shared memory. At most --max-threads handler
 * threads live at once: at the cap the server accepts no more until one ends.
 *
 * A Node thread boots a V8 isolate (tens to hundreds of ms; a pthread_create() costs
 * microseconds), so the server keeps a few threads started ahead, parked (spares.ts):
 * each serves one connection and ends with it. The thread-start event says so, with what
 * a thread start costs in Python on this machine (start-costs.ts).
 */
export const threadModel: ServerModel = {
  name: 'thread',
  summary: 'one thread per client running blocking handler code (seeds 000, 002, 003)',
  options: ['app', 'delay', 'maxThreads'],
  start: (ctx) => startThreadServer(ctx, 'plain'),
}

/**
 * Each handler thread's V8 heap, capped: a new-space of its default size (16 MB semi-
 * spaces, grown as a busy thread allocates) is most of a thread's memory, and one
 * connection's handler keeps little alive. Its stack stays Node's default.
 */
const THREAD_HEAP = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 }

/** One handler thread: parked until it is given its connection, then that connection's. */
interface HandlerThread {
  worker: Worker
  conn?: ConnId
  pipe?: SocketPipe
  ended?: () => void
}

/** The thread-per-connection machinery, also socketserver's ThreadingMixIn. */
export async function startThreadServer(ctx: ModelContext, style: HandlerStyle): Promise<RunningServer> {
  const { emitter, spec } = ctx
  const threads = new Set<HandlerThread>()
  // The app's state for every thread: each worker is its own V8 isolate, so only a
  // SharedArrayBuffer is memory they all really share.
  const shared = createSharedMemory()
  const costs = await startCosts()
  const modelledStart: ModelledStart | undefined = costs && { us: costs.threadUs, call: 'threading.Thread.start()', by: costs.by }
  let serial = 0
  let stopping = false

  const startThread = () => {
    // Node gives the OS thread this name, and the thread finds its kernel TID by it (15 characters at most).
    const name = `handler-${++serial}`
    const workerData: ThreadWorkerData = { shared, originNs: String(emitter.clock.originNs), name, gate: emitter.gate.buffer }
    const worker = new Worker(entryPath('thread-worker'), { workerData, name, execArgv: CHILD_EXEC_ARGV, resourceLimits: THREAD_HEAP })
    const thread: HandlerThread = { worker }
    threads.add(thread)
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: WorkerToMain) => {
        if (msg.type === 'events') emitter.forward(msg.events as SockscopeEvent[])
        else if (msg.type === 'ready') resolve()
      })
      worker.on('error', (err) => {
        if (thread.conn) emitter.emit({ kind: 'error', conn: thread.conn, code: 'THREAD_FAILED', message: err.message })
        reject(err)
      })
      worker.on('exit', () => {
        threads.delete(thread)
        reject(new Error('the thread ended before it was given a connection'))
        if (!thread.conn) return pool.lost(thread)
        thread.pipe?.dispose()
        thread.ended?.()
        pool.released()
      })
    })
    // A spare that fails is reported when it is given a connection (its error above), not before.
    ready.catch(() => {})
    return { spare: thread, ready }
  }
  const pool = new SparePool<HandlerThread>({
    size: Math.min(SPARES, spec.maxThreads),
    cap: spec.maxThreads,
    clock: emitter.clock,
    start: startThread,
    dispose: (thread) => void thread.worker.terminate(),
  })

  const accepting = new CappedAccept(emitter, spec.maxThreads, (socket: net.Socket, conn, ended) => {
    const taken = pool.take()
    const thread = taken.spare
    const pipe = createSocketPipe(socket)
    Object.assign(thread, { conn, pipe, ended })
    const spare = spareStart(taken, pool.size)
    const job: ThreadJob = {
      ...handlerJob(ctx, conn, style),
      signal: pipe.signal,
      port: pipe.workerPort,
      ...(spare && { spare }),
      ...(modelledStart && { modelledStart }),
    }
    thread.worker.postMessage(job, [pipe.workerPort])
  })
  const server = await listenTcp(ctx, (socket: net.Socket) => {
    if (stopping) return void socket.destroy()
    accepting.arrived(socket)
  })
  accepting.listening()

  return Object.assign(runningServer(spec.host, [server], async () => {
    stopping = true
    pool.stop()
    accepting.stop()
    stopListening(server)
    await Promise.all([...threads].map((thread) => thread.worker.terminate()))
  }), { warm: pool.full() })
}
