import type { LineMap, ProgramPart } from './program.ts'

/**
 * The part of runtime.ts's runBlocking that carries out a thread's handler (the app's
 * `yield`s) with blocking calls, where a handler thread really sleeps in the kernel: the
 * thread and socketserver model programs share it.
 */
export const RUN_BLOCKING_PART: ProgramPart = { file: 'models/runtime.ts', from: 'export function runBlocking(', to: '} else input = { value: state.immediate(op) }' }

export const RUN_BLOCKING_LINES: LineMap = {
  'block:recv': { at: 'const { data } = io.recv(op.max)', call: 'recv()' },
  recv: { at: 'const { data } = io.recv(op.max)', call: 'recv()' },
  send: { at: "emitter.emit({ kind: 'send', conn, bytes: op.data.byteLength", call: 'sendall()' },
  'block:send': { at: "blockedAt = blocked(ctx, 'send', ctx.waiter, 'peer-not-reading')", call: 'sendall(): buffer full' },
  'block:sleep': { at: 'io.sleep(op.ms)', call: "sleep (the seeds' time.sleep)" },
  'lock-wait': { at: 'world.mutex(op.name).acquireBlocking()', call: 'lock.acquire()' },
  'lock-acquire': { at: 'world.mutex(op.name).acquireBlocking()', call: 'lock.acquire()' },
}

/** The handler thread's own code (thread-worker.ts): it starts, serves, reports, ends. */
export const THREAD_WORKER_PART: ProgramPart = { file: 'models/thread-worker.ts', from: 'function serve(job: ThreadJob)', to: 'job.port.close()' }

export const THREAD_WORKER_LINES: LineMap = {
  'thread-start': { at: "kind: 'thread-start',", call: 'thread started' },
  close: { at: "emitter.emit({ kind: 'close', conn, by: end })", call: 'close()' },
  'thread-end': { at: "emitter.emit({ kind: 'thread-end', conn, threadId })", call: 'thread ends' },
}
