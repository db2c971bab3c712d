import type { ProgramDef } from './program.ts'
import { RUN_ASYNC_LINES, RUN_ASYNC_PART } from './run-async-part.ts'

export const modelAsyncio: ProgramDef = {
  id: 'model-asyncio',
  language: 'typescript',
  title: 'The asyncio model (TypeScript)',
  summary: "Sockscope's asyncio server: one loop, a task per connection that runs until its next await",
  model: 'asyncio',
  control: 'tasks',
  parts: [
    { file: 'models/asyncio.ts', from: 'const handle = async (socket: net.Socket)', to: 'loop.finished()' },
    { file: 'models/asyncio.ts', from: 'private endOfTurn(): void {', to: "this.waitingSince = this.emitter.emit({ kind: 'block', on: 'select'" },
    RUN_ASYNC_PART,
  ],
  lineMap: {
    accept: { at: "emitter.emit({ kind: 'accept', conn, remote: remoteOf(socket), waitedUs: 0 })", call: 'accept()' },
    'task-start': { at: "emitter.emit({ kind: 'task-start', conn, task })", call: 'task started' },
    close: { at: 'finishConnection(emitter, conn, socket, end)', call: 'close()' },
    'task-end': { at: "emitter.emit({ kind: 'task-end', conn, task })", call: 'task done' },
    wakeup: { at: "this.emitter.emit({ kind: 'wakeup', readable: turn.readable", call: 'select() returned' },
    'block:select': { at: "this.waitingSince = this.emitter.emit({ kind: 'block', on: 'select'", call: 'select()' },
    ...RUN_ASYNC_LINES,
  },
}
