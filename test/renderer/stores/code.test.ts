import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useCodeStore } from '../../../src/renderer/stores/code.ts'
import { useTraceStore } from '../../../src/renderer/stores/trace.ts'
import { ev, forkConnection, server } from '../events.ts'

describe('the code panel’s store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('names the first server’s model and decodes no event while the panel is closed (a million-event recording opens without it)', async () => {
    const trace = useTraceStore()
    const code = useCodeStore()
    code.open = false
    trace.ingest([ev('listen', 0, server(7, 0, 's2'), { host: '127.0.0.1', port: 2, model: 'thread', app: 'echo' })], 1e6)
    trace.ingest([ev('listen', 5, server(8, 0, 's3'), { host: '127.0.0.1', port: 3, model: 'select', app: 'echo' }), ...forkConnection('1>2', 10, 501)], 1e6)
    trace.setLoading(true)
    trace.setLoading(false)
    // (Routing and deriving the tracks decode the few events that name another process.)
    const decode = vi.spyOn(trace.store, 'event')
    expect(code.model).toBe('thread')
    expect(code.markers).toEqual([])
    expect(code.lineEvents).toEqual([])
    expect(decode).not.toHaveBeenCalled()
    // Open, it reads the server's events.
    code.open = true
    expect(code.markers.length).toBeGreaterThan(0)
    expect(decode).toHaveBeenCalled()
  })
})
