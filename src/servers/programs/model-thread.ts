import type { ProgramDef } from './program.ts'
import { RUN_BLOCKING_LINES, RUN_BLOCKING_PART, THREAD_WORKER_LINES, THREAD_WORKER_PART } from './run-blocking-part.ts'

export const modelThread: ProgramDef = {
  id: 'model-thread',
  language: 'typescript',
  title: 'The thread model (TypeScript)',
  summary: "Sockscope's threading server: the main thread accepts and hands each connection to its own thread, which blocks in its own calls",
  model: 'thread',
  control: 'process',
  parts: [
    { file: 'models/listen.ts', from: 'export class AcceptWait {', to: 'this.since = undefined' },
    { file: 'models/thread.ts', from: 'const accepting = new CappedAccept(', to: 'thread.worker.postMessage(job, [pipe.workerPort])' },
    THREAD_WORKER_PART,
    RUN_BLOCKING_PART,
  ],
  lineMap: {
    'block:accept': { at: "this.since ??= this.emitter.emit({ kind: 'block', on: 'accept' })", call: 'accept()' },
    accept: { at: "this.emitter.emit({ kind: 'unblock', on: 'accept'", call: 'accept()' },
    ...THREAD_WORKER_LINES,
    ...RUN_BLOCKING_LINES,
  },
}
