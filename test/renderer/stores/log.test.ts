import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { logItemAt } from '../../../src/renderer/model/log-filter.ts'
import type { RunInfo } from '../../../src/servers/web/protocol.ts'
import { useLabStore } from '../../../src/renderer/stores/lab.ts'
import { useLogStore } from '../../../src/renderer/stores/log.ts'
import { useTraceStore } from '../../../src/renderer/stores/trace.ts'
import { forkConnection } from '../events.ts'

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 150))

/** Every row the log would draw now, as EventLog.vue reads them: its positions against the store as it is. */
function shownRows(): unknown[] {
  const trace = useTraceStore()
  const log = useLogStore()
  return Array.from({ length: log.indices.length }, (_, row) => logItemAt(trace.store, log.indices, row)?.e)
}

describe('the log store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  // A clear (or a reconnection's hello) empties the store at once. The log's positions were
  // computed at the last frame; anything that redrew the log before the next frame (a scroll,
  // a runs message) read positions past the emptied store: "reading 'conn'" of undefined.
  it('never holds positions past the store after a clear, even before the next frame', async () => {
    const trace = useTraceStore()
    const log = useLogStore()
    trace.ingest([...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10, 502)], 1e6)
    await nextFrame()
    expect(log.indices.length).toBe(20) // block / unblock hidden by default

    trace.reset(2e6, { keepLiveOs: true })
    expect(log.indices.length).toBe(0)
    // Events after the clear, still within the same frame: fewer than before.
    trace.ingest(forkConnection('5>2', 3e6, 503).slice(0, 3), 3e6)
    expect(log.indices.length).toBeLessThanOrEqual(trace.store.size)
    expect(shownRows().every((e) => e !== undefined)).toBe(true)
    await nextFrame()
    expect(log.indices.length).toBe(3)
    expect(shownRows().map((e) => (e as { conn: string }).conn)).toEqual(['5>2', '5>2', '5>2'])
  })

  it('filters by connection, and follows the filter at once', async () => {
    const trace = useTraceStore()
    const log = useLogStore()
    trace.ingest([...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10, 502)], 1e6)
    await nextFrame()
    log.connFilter = '3>2'
    expect(shownRows().every((e) => (e as { conn: string }).conn === '3>2')).toBe(true)
    expect(log.indices.length).toBeGreaterThan(0)
  })

  // Issue 9: after a clear the dropdown went blank and the log showed `0 / 125`: the filter
  // kept a connection that no longer existed.
  it('shows every connection again after a clear, and follows the newest rows', async () => {
    const trace = useTraceStore()
    const log = useLogStore()
    trace.ingest(forkConnection('1>2', 0, 501), 1e6)
    await nextFrame()
    log.connFilter = '1>2'
    log.following = false
    trace.reset(2e6, { keepLiveOs: true, since: 2e6 })
    expect(log.connFilter).toBe('all')
    expect(log.following).toBe(true)
    // 'selected' follows the timeline's selection, which a clear empties: it may stay.
    log.connFilter = 'selected'
    trace.reset(3e6, { keepLiveOs: true, since: 3e6 })
    expect(log.connFilter).toBe('selected')
  })

  it('hides the OS samples and every block / unblock until asked', () => {
    expect(useLogStore().hiddenGroups).toEqual(['block', 'os'])
  })

  it('puts a row for what each finished workload computed among the events, when it ended', async () => {
    const trace = useTraceStore()
    const lab = useLabStore()
    const log = useLogStore()
    trace.ingest([...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10e6, 502)], 20e6)
    await nextFrame()
    const finished = (id: string, endedAt: number): RunInfo => ({
      id,
      kind: 'clients',
      pid: 200,
      state: 'finished',
      spec: { workload: 'burst', count: 1 },
      startedAt: 0,
      endedAt,
      outcome: { ok: 1, failed: 0, elapsedMs: 5, latency: { min: 5, median: 5, max: 5 }, errors: [] },
    })
    lab.setRuns([finished('c4', 19e6), finished('c2', 6e6), { ...finished('c3', 7e6), state: 'running', endedAt: null, outcome: undefined }])
    expect(log.results.map((r) => r.id)).toEqual(['c2', 'c4'])
    expect(log.rowCount).toBe(log.indices.length + 2)
    // c2 after the first connection's events (which end near 5.2 s), c4 after everything.
    const firstEnds = log.indices.findLastIndex((pos) => trace.store.at(pos).t <= 6e6)
    expect(log.resultRows).toEqual([firstEnds + 1, log.indices.length + 1])
    // A connection picked, or the results chip off: only events.
    log.connFilter = '1>2'
    expect(log.results).toEqual([])
    log.connFilter = 'all'
    log.toggleGroup('result')
    expect(log.rowCount).toBe(log.indices.length)
  })
})
