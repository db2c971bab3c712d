/**
 * Opening a big recording, in Node: the generated trace (trace-generator.ts: 1,000,000
 * events, 10,000 connections to a select echo server, both sides) parsed from NDJSON in
 * batches of 5,000 as a file reader hands them over, appended to the real EventStore and
 * sorted into tracks by the real TraceModel; then every track derived and the lanes laid
 * out, as the timeline does once per version. Figures: ms for each step, and bytes per
 * event: the JS heap (after GC) and the typed arrays, for the whole model and for a store
 * of recv/send alone (the bulk of any trace; the target is 40 B each).
 */
import { EventStore } from '../src/renderer/model/event-store.ts'
import { TraceModel } from '../src/renderer/model/trace-model.ts'
import { layoutLanes } from '../src/renderer/timeline/layout.ts'
import type { SockscopeEvent } from '../src/servers/events.ts'
import type { BenchResult } from './run.ts'
import { generateTrace } from './trace-generator.ts'

const EVENTS = 1_000_000
const CONNECTIONS = 10_000
const BATCH = 5000

/** The trace as a file reader would hand it over: NDJSON text, a batch of lines at a time. */
function ndjsonBatches(events: Iterable<SockscopeEvent>, filter: (e: SockscopeEvent) => boolean = () => true): string[] {
  const batches: string[] = []
  let lines: string[] = []
  for (const e of events) {
    if (!filter(e)) continue
    lines.push(JSON.stringify(e))
    if (lines.length === BATCH) {
      batches.push(lines.join('\n'))
      lines = []
    }
  }
  if (lines.length) batches.push(lines.join('\n'))
  return batches
}

const parseBatch = (text: string) => text.split('\n').map((line) => JSON.parse(line) as SockscopeEvent)

function memory(): { heap: number; buffers: number } {
  globalThis.gc?.()
  globalThis.gc?.()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, buffers: m.arrayBuffers }
}

export default async function openTraceBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = []
  const batches = ndjsonBatches(generateTrace({ events: EVENTS, connections: CONNECTIONS }))
  const kept: unknown[] = []
  for (let round = 1; round <= 2; round++) {
    const before = memory()
    const store = new EventStore()
    const model = new TraceModel(store)
    let parseMs = 0
    let appendMs = 0
    let routeMs = 0
    for (const text of batches) {
      let t0 = performance.now()
      const events = parseBatch(text)
      parseMs += performance.now() - t0
      t0 = performance.now()
      const result = store.append(events)
      appendMs += performance.now() - t0
      t0 = performance.now()
      model.ingest(result)
      routeMs += performance.now() - t0
    }
    let t0 = performance.now()
    const connections = model.connections()
    const processes = model.processes()
    const threads = model.threads()
    const loops = model.loops()
    const servers = model.servers()
    const deriveMs = performance.now() - t0
    t0 = performance.now()
    const layout = layoutLanes({ servers: servers.map(({ listenT, ...s }) => ({ ...s, state: 'recorded', startedAt: listenT })), clients: [], connections, processes, threads, loops })
    const layoutMs = performance.now() - t0
    t0 = performance.now()
    model.connections()
    layoutLanes({ servers: servers.map(({ listenT, ...s }) => ({ ...s, state: 'recorded', startedAt: listenT })), clients: [], connections: model.connections(), processes: model.processes(), threads: model.threads(), loops: model.loops() })
    const againMs = performance.now() - t0
    kept.push(model, layout)
    const after = memory()
    if (store.size !== EVENTS) throw new Error(`store holds ${store.size} of ${EVENTS}`)
    if (connections.length !== CONNECTIONS) throw new Error(`${connections.length} connections, not ${CONNECTIONS}`)
    results.push({
      name: `1M events, 10k connections, round ${round}`,
      figures: {
        'parse ms': parseMs.toFixed(0),
        'append ms': appendMs.toFixed(0),
        'route ms': routeMs.toFixed(0),
        'derive ms': deriveMs.toFixed(0),
        'layout ms': layoutMs.toFixed(0),
        'open ms (append+route+derive+layout)': (appendMs + routeMs + deriveMs + layoutMs).toFixed(0),
        'cached lists+layout ms': againMs.toFixed(1),
        lanes: layout.lanes.length,
        'JS heap B/event': globalThis.gc ? ((after.heap - before.heap) / EVENTS).toFixed(1) : 'n/a (--expose-gc)',
        'typed arrays B/event': ((after.buffers - before.buffers) / EVENTS).toFixed(1),
        'store B/event': (store.byteSize / EVENTS).toFixed(1),
      },
    })
  }
  kept.length = 0

  // recv / send alone: what the bulk of a trace costs in the store.
  const ioBatches = ndjsonBatches(generateTrace({ events: EVENTS, connections: CONNECTIONS }), (e) => e.kind === 'recv' || e.kind === 'send')
  let count = 0
  for (const text of ioBatches) count += text.split('\n').length
  const before = memory()
  const store = new EventStore(count)
  for (const text of ioBatches) store.append(parseBatch(text))
  const after = memory()
  results.push({
    name: `${count} recv/send events in a store`,
    figures: {
      'JS heap B/event': globalThis.gc ? ((after.heap - before.heap) / count).toFixed(1) : 'n/a (--expose-gc)',
      'typed arrays B/event': ((after.buffers - before.buffers) / count).toFixed(1),
      'total B/event': ((after.heap - before.heap + after.buffers - before.buffers) / count).toFixed(1),
    },
  })
  if (store.event(0)?.kind !== 'recv' && store.event(0)?.kind !== 'send') throw new Error('the store lost its first event')
  return results
}
