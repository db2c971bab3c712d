/**
 * A client driver process: runs one client workload with real sockets and reports the
 * client side of every connection, then each client's result.
 */
import type { EventEmitter } from '../emitter.ts'
import { createProcessEmitter, runChildProcess, sendToLab } from '../host/child-channel.ts'
import type { LabToChild } from '../host/protocol.ts'
import { findWorkload } from './workloads/index.ts'
import { LineQueue } from './workloads/workload.ts'

let emitter: EventEmitter | undefined
const abort = new AbortController()
const input = new LineQueue()
let go: () => void = () => {}
const released = new Promise<void>((resolve) => (go = resolve))
abort.signal.addEventListener('abort', () => go())
process.on('message', (message: LabToChild) => {
  if (message?.type === 'input') input.push(message.line)
  else if (message?.type === 'go') go()
})

runChildProcess<Extract<LabToChild, { type: 'start-clients' }>>('start-clients', {
  async start({ run, spec, held }) {
    emitter = createProcessEmitter('client', run)
    const workload = findWorkload(spec.workload)
    await sendToLab({ type: 'ready', host: spec.host, ports: [spec.port] })
    if (held) await released
    const results = await workload.run({ emitter, spec, signal: abort.signal, input })
    emitter.flush()
    await sendToLab({ type: 'results', results })
  },
  async stop() {
    abort.abort()
    emitter?.flush()
  },
})
