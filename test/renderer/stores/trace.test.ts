import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { FrameBatcher } from '../../../src/renderer/stores/frame-batcher.ts'
import { useTraceStore } from '../../../src/renderer/stores/trace.ts'
import { forkConnection } from '../events.ts'

const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 150))

describe('FrameBatcher', () => {
  it('flushes once however many times it is scheduled before the frame', async () => {
    let flushes = 0
    const batcher = new FrameBatcher(() => flushes++, 20)
    for (let i = 0; i < 50; i++) batcher.schedule()
    expect(batcher.pending).toBe(true)
    await nextFrame()
    expect(flushes).toBe(1)
    batcher.schedule()
    await nextFrame()
    expect(flushes).toBe(2)
  })
})

describe('the trace store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('lands batches in the columns at once and tells Vue once per frame', async () => {
    const trace = useTraceStore()
    const before = trace.version
    trace.ingest(forkConnection('1>2', 0, 501), 1e6)
    trace.ingest(forkConnection('3>2', 10, 502), 1e6)
    trace.ingest(forkConnection('5>2', 20, 503), 1e6)
    expect(trace.store.size).toBe(48)
    expect(trace.version).toBe(before)
    await nextFrame()
    expect(trace.version).toBe(before + 1)
    expect(trace.model.connections()).toHaveLength(3)
  })

  it('runs the lab’s clock forward between reports, and resets to empty', async () => {
    const trace = useTraceStore()
    trace.syncClock(5e6)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(trace.nowUs()).toBeGreaterThan(5e6 + 20e3)
    trace.ingest(forkConnection('1>2', 7, 501), 6e6)
    expect(trace.origin()).toBe(7)
    const before = trace.version
    trace.reset(7e6)
    // At once, not at the next frame: what was derived from the old events is stale now.
    expect(trace.version).toBe(before + 1)
    expect(trace.store.size).toBe(0)
    expect(trace.model.connections()).toEqual([])
  })
})
