import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { EventMerger } from '../../../src/servers/lab/event-merger.ts'

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

  it('flushes everything on dispose', () => {
    const released: number[] = []
    const merger = new EventMerger(() => 0, (batch) => released.push(...batch.map((e) => e.t)), 1000, 1e9)
    merger.add([at(5, 1), at(1, 2)])
    merger.dispose()
    expect(released).toEqual([1, 5])
  })
})
