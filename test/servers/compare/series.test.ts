import { describe, expect, it } from 'vitest'
import type { EventSource, SockscopeEvent } from '../../../src/servers/events.ts'
import { inServiceSeries, latencyPoints, queueDepthSeries, valueAt } from '../../../src/servers/compare/series.ts'

const server = (pid = 100, run = 's1'): EventSource => ({ role: 'server', run, pid, tid: 0 })
const client = (run = 'c2'): EventSource => ({ role: 'client', run, pid: 200, tid: 0 })
const ev = (kind: SockscopeEvent['kind'], t: number, src: EventSource, fields: Record<string, unknown> = {}) => ({ kind, t, src, ...fields }) as unknown as SockscopeEvent

describe('compare series', () => {
  // Three clients at once; a server that serves one at a time (queue 3, 2, 1, 0) ...
  const serial = ['a', 'b', 'c'].flatMap((conn, i) => [
    ev('connect', 0, client(), { conn }),
    ev('queued', 1, server(), { conn, depth: i + 1 }),
    ev('accept', 10 + i * 100, server(), { conn, waitedUs: 9 + i * 100 }),
    ev('close', 100 + i * 100, server(), { conn, by: 'peer' }),
    ev('close', 101 + i * 100, client(), { conn, by: 'local' }),
  ])
  // ... and one that gives each its own child process, which closes it.
  const forked = ['a', 'b', 'c'].flatMap((conn, i) => [
    ev('queued', 1, server(100, 's3'), { conn, depth: i + 1 }),
    ev('accept', 2 + i, server(100, 's3'), { conn, waitedUs: 1 + i }),
    ev('close', 100, server(101 + i, 's3'), { conn, by: 'peer' }),
  ])

  it('in service: never above 1 for the serial server; all three at once for the forking one, its children’s closes counted', () => {
    const s = inServiceSeries(serial, 's1')
    expect(Math.max(...s.v)).toBe(1)
    expect(valueAt(s, 50)).toBe(1)
    expect(valueAt(s, 350)).toBe(0)
    expect(inServiceSeries(forked, 's3')).toEqual({ t: [2, 3, 4, 100], v: [1, 2, 3, 0] })
  })

  it('queue depth: the connections established and not yet accepted, merged per instant', () => {
    expect(queueDepthSeries(serial, 's1')).toEqual({ t: [1, 10, 110, 210], v: [3, 2, 1, 0] })
    expect(valueAt(queueDepthSeries(serial, 's1'), 0)).toBe(0)
    expect(queueDepthSeries(serial, 's9')).toEqual({ t: [], v: [] })
  })

  it('latency per client, in the order they connected', () => {
    expect(latencyPoints(serial, 'c2')).toEqual([
      { conn: 'a', connectT: 0, latencyUs: 101 },
      { conn: 'b', connectT: 0, latencyUs: 201 },
      { conn: 'c', connectT: 0, latencyUs: 301 },
    ])
  })
})
