import type { ProgramDef } from './program.ts'
import { RUN_BLOCKING_LINES, RUN_BLOCKING_PART, THREAD_WORKER_LINES, THREAD_WORKER_PART } from './run-blocking-part.ts'

export const modelSocketserver: ProgramDef = {
  id: 'model-socketserver',
  language: 'typescript',
  title: 'The socketserver model (TypeScript)',
  summary: "Sockscope's socketserver: a handler object per connection whose setup(), handle() and finish() run in its own thread (ThreadingMixIn)",
  model: 'socketserver',
  control: 'process',
  parts: [
    { file: 'models/listen.ts', from: 'export class AcceptWait {', to: 'this.since = undefined' },
    { file: 'models/request-handler.ts', from: 'function* baseRequestHandler(', to: "yield phase('finish', 'end')" },
    THREAD_WORKER_PART,
    RUN_BLOCKING_PART,
  ],
  lineMap: {
    'block:accept': { at: "this.since ??= this.emitter.emit({ kind: 'block', on: 'accept' })", call: 'serve_forever(): accept()' },
    accept: { at: "this.emitter.emit({ kind: 'unblock', on: 'accept'", call: 'serve_forever(): accept()' },
    'phase:setup': { at: "yield phase('setup', 'begin')", call: 'setup()' },
    'phase:handle': { at: "yield phase('handle', 'begin')", call: 'handle()' },
    'phase:finish': { at: "yield phase('finish', 'begin')", call: 'finish()' },
    ...THREAD_WORKER_LINES,
    ...RUN_BLOCKING_LINES,
  },
}
