import type { ProgramDef } from './program.ts'

export const modelSelect: ProgramDef = {
  id: 'model-select',
  language: 'typescript',
  title: 'The select model (TypeScript)',
  summary: "Sockscope's select server: one loop waits on every socket at once and steps each ready connection's handler; a send to a full buffer stops the loop",
  model: 'select',
  control: 'loop',
  parts: [
    { file: 'models/selector.ts', from: 'async select(timeoutMs?: number)', to: 'return ready' },
    { file: 'models/select.ts', from: 'const sendBlocking = (client: Client', to: 'else serviceConnection(key, mask)' },
  ],
  lineMap: {
    'block:select': { at: "this.emitter.emit({ kind: 'block', on: 'select', sockets", call: 'select()' },
    wakeup: { at: "kind: 'wakeup',", call: 'select() returned' },
    accept: { at: "emitter.emit({ kind: 'accept', conn, remote, waitedUs: t - arrivedAt }, t)", call: 'accept()' },
    recv: { at: "if (data?.byteLength) emitter.emit({ kind: 'recv'", call: 'recv()' },
    send: { at: "emitter.emit({ kind: 'send', conn, bytes: data.byteLength", call: 'send()' },
    'block:send': { at: "blockedAt = emitter.emit({ kind: 'block', conn, on: 'send'", call: 'sendall(): the whole loop waits' },
  },
}
