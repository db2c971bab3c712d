import type { ProgramDef } from './program.ts'

export const modelReactor: ProgramDef = {
  id: 'model-reactor',
  language: 'typescript',
  title: 'The reactor model (TypeScript)',
  summary: "Sockscope's Twisted-style reactor: one loop selects, accepts, reads and writes, and calls the protocol's callbacks",
  model: 'reactor',
  control: 'loop',
  parts: [
    { file: 'models/selector.ts', from: 'async select(timeoutMs?: number)', to: 'return ready' },
    { file: 'models/reactor.ts', from: 'async run(): Promise<void> {', to: 'if (sent.byteLength) this.emitter.emit({ kind: \'send\'' },
  ],
  lineMap: {
    'block:select': { at: "this.emitter.emit({ kind: 'block', on: 'select', sockets", call: 'select()' },
    wakeup: { at: "kind: 'wakeup',", call: 'select() returned' },
    accept: { at: "this.emitter.emit({ kind: 'accept', conn, remote, waitedUs: t - arrivedAt }, t)", call: 'accept()' },
    'phase:buildProtocol': { at: "this.callback(c, 'buildProtocol'", call: 'buildProtocol()' },
    'phase:connectionMade': { at: "this.callback(c, 'connectionMade'", call: 'connectionMade()' },
    recv: { at: "this.emitter.emit({ kind: 'recv', conn: c.conn", call: 'recv()' },
    'phase:dataReceived': { at: "this.callback(c, 'dataReceived'", call: 'dataReceived()' },
    send: { at: "if (sent.byteLength) this.emitter.emit({ kind: 'send'", call: 'send()' },
    close: { at: "this.emitter.emit(closeEvent(conn, reason ? 'error'", call: 'connectionLost()' },
    'phase:connectionLost': { at: "this.callback(c, 'connectionLost'", call: 'connectionLost()' },
  },
}
