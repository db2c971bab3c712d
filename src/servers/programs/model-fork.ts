import type { ProgramDef } from './program.ts'
import { RUN_ASYNC_LINES, RUN_ASYNC_PART } from './run-async-part.ts'

export const modelFork: ProgramDef = {
  id: 'model-fork',
  language: 'typescript',
  title: 'The fork model (TypeScript)',
  summary: "Sockscope's forking server: the parent accepts and starts a child process per connection; the child serves it and exits",
  model: 'fork',
  control: 'process',
  parts: [
    { file: 'models/listen.ts', from: 'export class AcceptWait {', to: 'this.since = undefined' },
    { file: 'models/fork.ts', from: 'const reap = (trigger', to: "emitter.emit({ kind: 'fork', conn, childPid" },
    { file: 'models/fork-child.ts', from: "process.once('message', async", to: 'process.exit(0)' },
    RUN_ASYNC_PART,
  ],
  lineMap: {
    'block:accept': { at: "this.since ??= this.emitter.emit({ kind: 'block', on: 'accept' })", call: 'accept()' },
    accept: { at: "this.emitter.emit({ kind: 'unblock', on: 'accept'", call: 'accept()' },
    reap: { at: 'for (const z of zombies.splice(0)) {', call: 'reap zombies' },
    fork: { at: "emitter.emit({ kind: 'fork', conn, childPid", call: 'fork()' },
    child: { at: "process.once('message', async", call: 'child: given its socket' },
    close: { at: 'finishConnection(emitter, conn, socket, end)', call: 'close()' },
    exit: { at: 'process.exit(0)', call: 'exit: zombie until reaped' },
    ...RUN_ASYNC_LINES,
  },
}
