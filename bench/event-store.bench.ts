/**
 * What the renderer pays per event: 100k events of a fork server's traffic (2,000
 * connections, 50 events each) appended to the columnar store in frame-sized batches and
 * sorted into tracks, as the lab's stream arrives; then the event log's filter over all
 * of them. Figures: time per 100k events and per batch, heap per event, filter time.
 */
import { EventStore } from '../src/renderer/model/event-store.ts'
import { filterLog } from '../src/renderer/model/log-filter.ts'
import { TraceModel } from '../src/renderer/model/trace-model.ts'
import type { EventSource, SockscopeEvent } from '../src/servers/events.ts'
import type { BenchResult } from './run.ts'

const CONNECTIONS = 2000
const BATCH = 1000

function traffic(): SockscopeEvent[] {
  const events: SockscopeEvent[] = []
  const host: EventSource = { role: 'server', run: 's1', pid: 1000, tid: 0 }
  const clients: EventSource = { role: 'client', run: 'c2', pid: 2000, tid: 0 }
  let t = 0
  const push = (e: Record<string, unknown>) => events.push({ ...e, t: (t += 7) } as unknown as SockscopeEvent)
  for (let i = 0; i < CONNECTIONS; i++) {
    const conn = `${30000 + i}>5000`
    const child: EventSource = { role: 'server', run: 's1', pid: 10_000 + i, tid: 0 }
    push({ kind: 'connect', src: clients, conn, local: `127.0.0.1:${30000 + i}`, remote: '127.0.0.1:5000' })
    push({ kind: 'accept', src: host, conn, remote: `127.0.0.1:${30000 + i}`, waitedUs: 0 })
    push({ kind: 'fork', src: host, conn, childPid: child.pid })
    for (let k = 0; k < 10; k++) {
      push({ kind: 'send', src: clients, conn, bytes: 5, preview: 'Hello' })
      push({ kind: 'block', src: child, conn, on: 'recv' })
      push({ kind: 'unblock', src: child, conn, on: 'recv', blockedUs: 40 })
      push({ kind: 'recv', src: child, conn, bytes: 5, preview: 'Hello' })
      push({ kind: 'send', src: child, conn, bytes: 11, preview: 'Echo=>Hello' })
    }
    push({ kind: 'close', src: clients, conn, by: 'local' })
    push({ kind: 'close', src: child, conn, by: 'peer' })
    push({ kind: 'exit', src: host, conn, childPid: child.pid, code: 0, signal: null })
    push({ kind: 'reap', src: host, conn, childPid: child.pid, policy: 'immediate', trigger: 'sigchld', zombieUs: 0, modelled: true })
  }
  return events.slice(0, 100_000)
}

export default async function eventStoreBench(): Promise<BenchResult[]> {
  const events = traffic()
  const results: BenchResult[] = []
  // Kept until the end, so that each round's heap growth is its own store's.
  const kept: TraceModel[] = []
  for (let round = 0; round < 3; round++) {
    globalThis.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    const store = new EventStore()
    const model = new TraceModel(store)
    const batchMs: number[] = []
    const began = performance.now()
    for (let i = 0; i < events.length; i += BATCH) {
      const t0 = performance.now()
      model.ingest(store.append(events.slice(i, i + BATCH)))
      batchMs.push(performance.now() - t0)
    }
    const totalMs = performance.now() - began
    kept.push(model)
    globalThis.gc?.()
    const heapBytes = process.memoryUsage().heapUsed - heapBefore
    const f0 = performance.now()
    const shown = filterLog(store, { kinds: new Set(['recv', 'send']), conns: null }).length
    const filterMs = performance.now() - f0
    batchMs.sort((a, b) => a - b)
    results.push({
      name: `100k events, batches of ${BATCH}, round ${round + 1}`,
      figures: {
        'ms/100k': totalMs.toFixed(0),
        'batch ms p50': batchMs[Math.floor(batchMs.length / 2)]!.toFixed(2),
        p95: batchMs[Math.floor(batchMs.length * 0.95)]!.toFixed(2),
        'heap B/event': globalThis.gc ? Math.round(heapBytes / events.length) : 'n/a (run with --expose-gc)',
        'filter ms': filterMs.toFixed(1),
        shown,
      },
    })
    if (store.size !== events.length) throw new Error(`store holds ${store.size} of ${events.length} events`)
  }
  return results
}
