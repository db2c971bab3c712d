import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { EventMerger, MAX_HOLDBACK_US } from '../../../src/servers/lab/event-merger.ts'

const at = (t: number, pid: number): SockscopeEvent => ({ kind: 'error', t, src: { role: 'server', run: 's1', pid, tid: 0 }, code: 'X', message: String(t) })

describe('EventMerger', () => {
  it('releases events older than the hold-back window in time order, across sources', () => {
    let now = 0
    const released: number[][] = []
    const merger = new EventMerger(() => now, (batch) => released.push(batch.map((e) => e.t)), 100, 1e9)
    merger.add([at(10, 1), at(40, 1), at(250, 1)])
    merger.add([at(20, 2), at(30, 2)])
    now = 140
    merger.tick()
    expect(released).toEqual([[10, 20, 30, 40]])
    now = 300
    merger.tick()
    expect(released).toEqual([[10, 20, 30, 40]])
    merger.add([at(190, 2)])
    now = 400
    merger.tick()
    expect(released).toEqual([[10, 20, 30, 40], [190, 250]])
    merger.dispose()
  })

  it('widens its window after a late batch, so the next one as late is still in order, and counts what it could not order', () => {
    let now = 0
    const released: number[] = []
    const merger = new EventMerger(() => now, (batch) => released.push(...batch.map((e) => e.t)), 30, 1e9)
    merger.add([at(100, 1)])
    now = 140
    merger.tick()
    expect(released).toEqual([100])
    // A stalled process's event from t=60 arrives at 150, 90 late: the window widens at
    // once, but 100 is out already, so 60 goes out after it, counted as late.
    now = 150
    merger.add([at(60, 2)])
    expect(merger.holdbackUs).toBeGreaterThanOrEqual(90 * 1.25)
    now = 200
    merger.tick()
    expect(released).toEqual([100, 60])
    expect(merger.late).toBe(1)
    // As late again: held back long enough now to go out in order.
    now = 300
    merger.add([at(300, 1)])
    merger.tick()
    now = 340
    merger.add([at(250, 2)])
    now = 370
    merger.tick()
    expect(released).toEqual([100, 60, 250])
    now = 500
    merger.tick()
    expect(released).toEqual([100, 60, 250, 300])
    expect(merger.late).toBe(1)
    merger.dispose()
  })

  it('narrows its window again once batches come quickly, never below the base or past the cap', () => {
    let now = 0
    const merger = new EventMerger(() => now, () => {}, 30, 1e9)
    now = 10_000_000
    merger.add([at(0, 1)])
    expect(merger.holdbackUs).toBe(MAX_HOLDBACK_US)
    for (let k = 0; k < 20_000; k++) merger.tick()
    expect(merger.holdbackUs).toBe(30)
    merger.dispose()
  })

  it('flushes everything on dispose', () => {
    const released: number[] = []
    const merger = new EventMerger(() => 0, (batch) => released.push(...batch.map((e) => e.t)), 1000, 1e9)
    merger.add([at(5, 1), at(1, 2)])
    merger.dispose()
    expect(released).toEqual([1, 5])
  })
})
