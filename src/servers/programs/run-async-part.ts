import type { LineMap, ProgramPart } from './program.ts'

/**
 * The part of runtime.ts's runAsync that carries out a handler's recv / send / sleep (the
 * app's `yield`s) on a real socket, where a process's connection handler blocks: shared
 * by the model programs whose handlers run there (iterative, fork).
 */
export const RUN_ASYNC_PART: ProgramPart = { file: 'models/runtime.ts', from: 'export async function runAsync(', to: "} else if (op.op === 'lock') {" }

export const RUN_ASYNC_LINES: LineMap = {
  'block:recv': { at: "await awaitOn('recv', async () => {", call: 'io.recv()' },
  recv: { at: "await awaitOn('recv', async () => {", call: 'io.recv()' },
  send: { at: "emitter.emit({ kind: 'send', conn, bytes: op.data.byteLength", call: 'io.send()' },
  'block:send': { at: "await awaitOn('send', () => room)", call: 'send buffer full' },
  'block:sleep': { at: "await awaitOn('sleep', () => new Promise((resolve) => setTimeout(resolve, op.ms)), op.ms)", call: 'sleep (the seeds\' time.sleep)' },
}
