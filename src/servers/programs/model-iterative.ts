import type { ProgramDef } from './program.ts'
import { RUN_ASYNC_LINES, RUN_ASYNC_PART } from './run-async-part.ts'

export const modelIterative: ProgramDef = {
  id: 'model-iterative',
  language: 'typescript',
  title: 'The iterative model (TypeScript)',
  summary: "Sockscope's iterative server: one connection at a time, the others kept in arrival order",
  model: 'iterative',
  control: 'process',
  parts: [{ file: 'models/iterative.ts', from: 'const nextConnection = async', to: 'const loop = serveLoop()' }, RUN_ASYNC_PART],
  lineMap: {
    'block:accept': { at: 'while (queue.length === 0 && !stopping) await new Promise', call: 'accept()' },
    accept: { at: "emitter.emit({ kind: 'accept', conn, remote: remoteOf(socket)", call: 'accept()' },
    close: { at: 'finishConnection(emitter, conn, socket, end)', call: 'close()' },
    ...RUN_ASYNC_LINES,
  },
}
