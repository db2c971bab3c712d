import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { logItemAt } from '../../../src/renderer/model/log-filter.ts'
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
})
