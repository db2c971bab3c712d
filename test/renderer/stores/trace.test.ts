import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { FrameBatcher } from '../../../src/renderer/stores/frame-batcher.ts'
import { useTraceStore } from '../../../src/renderer/stores/trace.ts'
import { ev, forkConnection } from '../events.ts'

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

  // A clear is a cut in time: a page that saw it and one that loaded after it (whose history
  // starts with the OS's latest readings, from before the cut) must show the same.
  it('forgets what came before the last clear, but for the OS readings, which only the OS table keeps', () => {
    const trace = useTraceStore()
    const os = { role: 'os' as const, run: 's1', pid: 9, tid: 0 }
    const early = ev('proc', 10e6, os, { change: 'appeared', pid: 100, ppid: 9, state: 'S', threads: 7, command: 'node server-host.ts' })
    const lateBatch = forkConnection('1>2', 19e6, 501)
    trace.reset(20e6, { since: 20e6 })
    const epoch = trace.epoch
    trace.ingest([early, ...lateBatch, ...forkConnection('3>2', 21e6, 502)], 22e6)
    // The connection that began before the cut is gone but for what came after it.
    expect(Array.from(trace.store.t.subarray(0, trace.store.size)).every((t) => t >= 20e6)).toBe(true)
    expect(trace.model.os.get(100)?.latest.state).toBe('S')
    expect(trace.origin()).toBeGreaterThanOrEqual(20e6)
    // A reset without a clear (a new connection's hello before any clear) keeps everything.
    trace.reset(30e6)
    expect(trace.epoch).toBe(epoch + 1)
    trace.ingest(lateBatch, 30e6)
    expect(trace.store.size).toBe(lateBatch.length)
  })
})
