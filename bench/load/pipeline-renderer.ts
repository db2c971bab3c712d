/**
 * The pipeline benchmark's page side, in Node: the renderer's own WebSocket transport and
 * LabClient (src/renderer/api), each events message appended to the renderer's EventStore
 * as the trace store does. Prints a JSON line once `count` events are appended.
 */
import { LabClient } from '../../src/renderer/api/lab-client.ts'
import { webSocketTransport } from '../../src/renderer/api/ws-transport.ts'
import { EventStore } from '../../src/renderer/model/event-store.ts'

const [url, countText] = process.argv.slice(2)
const count = Number(countText)
const store = new EventStore()
const client = new LabClient(webSocketTransport(url))
let first: number | undefined
let invalid = 0
client.onInvalid(() => invalid++)
client.onStatus((status) => status === 'open' && console.log(JSON.stringify({ open: true })))
client.onMessage((message) => {
  if (message.type !== 'events' || message.events.length === 0) return
  first ??= performance.now()
  store.append(message.events)
  if (store.size >= count) {
    console.log(JSON.stringify({ appended: store.size, invalid, ms: performance.now() - first }))
    process.exit(0)
  }
})
