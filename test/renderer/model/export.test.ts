import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { exportStore } from '../../../src/renderer/model/export.ts'
import type { TraceEventJson } from '../../../src/servers/export/perfetto.ts'
import { ev, forkConnection, procEvent, server } from '../events.ts'

function storeOf() {
  const store = new EventStore()
  store.append([
    ev('listen', 0, server(), { host: '127.0.0.1', port: 2, model: 'fork', app: 'echo-time' }),
    ...forkConnection('1>2', 1e6, 501),
    ...forkConnection('3>2', 1.2e6, 502),
    procEvent(1.5e6, 'appeared', 501, 100, 'S', {}, 's1'),
  ])
  return store
}

describe('exporting what is on screen', () => {
  it('as Perfetto JSON: the processes named, a track per connection, the OS readings left out', async () => {
    const file = exportStore(storeOf(), 'perfetto', 'fork-server.ndjson')
    expect(file.name).toBe('fork-server.perfetto.json')
    const trace = JSON.parse(await file.blob.text()) as { traceEvents: TraceEventJson[]; displayTimeUnit: string }
    expect(trace.displayTimeUnit).toBe('ms')
    const names = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.pid)
    expect(new Set(names)).toEqual(new Set([100, 200, 501, 502]))
    const threads = trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => String(e.args?.name))
    // Each connection: a track on the server's side and one on the client's.
    expect(threads.filter((n) => /^#\d/.test(n)).sort()).toEqual(['#1 :1', '#1 :1 client', '#2 :3', '#2 :3 client'])
    expect(trace.traceEvents.some((e) => e.ph === 'X' && /zombie/.test(e.name))).toBe(true)
    expect(file.summary).toMatch(/^\d+ trace events of 33 events$/)
  })

  it('as CSV: one row per connection', async () => {
    const file = exportStore(storeOf(), 'csv', 'run')
    expect(file.name).toBe('run.csv')
    const rows = (await file.blob.text()).trimEnd().split('\n')
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatch(/^connection,/)
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['1>2', '3>2'])
  })
})
