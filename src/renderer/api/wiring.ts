import { useLabStore } from '../stores/lab.ts'
import { useTraceStore } from '../stores/trace.ts'
import { LabClient } from './lab-client.ts'
import { pickTransport } from './pick.ts'
import type { Transport } from './transport.ts'

/**
 * All IPC wiring, in one place: host messages to the stores that own them. The stores
 * call the lab through the client given here.
 */
export function connectLab(transport: Transport = pickTransport()): LabClient {
  const client = new LabClient(transport)
  const lab = useLabStore()
  const trace = useTraceStore()
  lab.attach(client)
  client.onStatus((status) => lab.setStatus(status))
  client.onInvalid((message) => lab.report({ code: 'BAD_MESSAGE', message }))
  client.onMessage((message) => {
    switch (message.type) {
      case 'hello':
        // A (re)connection: the host replays its history next, so start from empty.
        trace.reset(message.now, { since: message.clearedAt ?? null })
        lab.applyHello(message)
        break
      case 'events':
        trace.ingest(message.events, message.now)
        break
      case 'runs':
        trace.syncClock(message.now)
        lab.setRuns(message.runs)
        break
      case 'problem':
        lab.report({ code: message.code, message: `${message.run}: ${message.message}` })
        break
      case 'cleared':
        trace.reset(message.now, { keepLiveOs: true, since: message.now })
        break
    }
  })
  return client
}
