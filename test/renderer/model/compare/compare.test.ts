import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../../src/servers/events.ts'
import { EventStore } from '../../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../../src/renderer/model/trace-model.ts'
import { eventsUpTo } from '../../../../src/renderer/model/at-time.ts'
import { compareEntries, compareEvents } from '../../../../src/renderer/model/compare/pairs.ts'
import { compareFigures, latencyChart, stepChart } from '../../../../src/renderer/model/compare/charts.ts'
import { client, ev, server } from '../../events.ts'

const S = 1e6
/** A server `run` on `port` (model `model`) and its clients `clientRun`: n clients at once, served one at a time (`serial`) or all together. */
function modelRun(model: string, run: string, clientRun: string, port: number, n: number, serial: boolean, at = 0): SockscopeEvent[] {
  const s = server(100 + port, 0, run)
  const c = client(200 + port, clientRun)
  const events: SockscopeEvent[] = [ev('listen', at, s, { host: '127.0.0.1', port, model, app: 'echo-time' })]
  for (let i = 0; i < n; i++) {
    const conn = `${5000 + i}>${port}`
    const begin = at + 1000 + (serial ? i * S : 0)
    events.push(
      ev('connect', at + 1000, c, { conn, local: `127.0.0.1:${5000 + i}`, remote: `127.0.0.1:${port}`, handshakeUs: 30 }),
      ev('queued', at + 1010, s, { conn, depth: i + 1 }),
      ev('accept', begin + 20, s, { conn, remote: `127.0.0.1:${5000 + i}`, waitedUs: begin + 10 - at - 1010 }),
      ev('close', begin + S, s, { conn, by: 'peer' }),
      ev('close', begin + S + 10, c, { conn, by: 'local' }),
    )
  }
  return events
}

function storeOf(events: SockscopeEvent[]) {
  const store = new EventStore()
  const model = new TraceModel(store)
  model.ingest(store.append([...events].sort((a, b) => a.t - b.t)))
  return { store, model }
}

describe('the compare view’s figures', () => {
  const events = [...modelRun('iterative', 's1', 'c3', 4001, 3, true), ...modelRun('thread', 's2', 'c4', 4002, 3, false, 500), ...modelRun('fork', 's9', 'c10', 4009, 1, false, 900)]
  const { store, model } = storeOf(events)

  it('pairs each server with the client run aimed at it, from the events alone, in start order; `only` keeps a compare’s own', () => {
    const entries = compareEntries(model.servers(), model.connections())
    expect(entries.map((e) => [e.model, e.serverRun, e.clientRun, e.port])).toEqual([
      ['iterative', 's1', 'c3', 4001],
      ['thread', 's2', 'c4', 4002],
      ['fork', 's9', 'c10', 4009],
    ])
    expect(compareEntries(model.servers(), model.connections(), ['s2', 's1']).map((e) => e.model)).toEqual(['thread', 'iterative'])
    // Servers started together listen in any order: the order is the one they were asked for in (s1, s2, …).
    const raced = storeOf([...modelRun('iterative', 's1', 'c3', 4001, 1, true, 300), ...modelRun('thread', 's2', 'c4', 4002, 1, false, 0)])
    expect(compareEntries(raced.model.servers(), raced.model.connections()).map((e) => e.model)).toEqual(['iterative', 'thread'])
  })

  it('decodes only the kinds and runs the figures read, in time order', () => {
    const entries = compareEntries(model.servers(), model.connections(), ['s1', 's2'])
    const decoded = compareEvents(store, entries)
    expect(decoded.every((e) => ['s1', 's2', 'c3', 'c4'].includes(e.src.run) && e.kind !== 'listen')).toBe(true)
    expect(decoded).toHaveLength(2 * 3 * 5)
    expect(decoded.map((e) => e.t)).toEqual([...decoded.map((e) => e.t)].sort((a, b) => a - b))
    expect(eventsUpTo(decoded, 1000)).toHaveLength(3)
    expect(eventsUpTo(decoded, Number.POSITIVE_INFINITY)).toBe(decoded)
  })

  it('at the end: the summary per model (summary.ts), queue and in-service steps, a latency per client', () => {
    const entries = compareEntries(model.servers(), model.connections(), ['s1', 's2'])
    const f = compareFigures(compareEvents(store, entries), entries, Number.POSITIVE_INFINITY)!
    expect(f.rows.map((r) => [r.model, r.clients, +r.totalS.toFixed(3)])).toEqual([
      ['iterative', 3, 3],
      ['thread', 3, 1],
    ])
    expect(f.fromUs).toBe(1000)
    expect(Math.max(...f.inService.ys[0]!.map(Number))).toBe(1)
    expect(Math.max(...f.inService.ys[1]!.map(Number))).toBe(3)
    expect(Math.max(...f.queue.ys[0]!.map(Number))).toBe(3)
    expect(f.latency.x).toEqual([1, 2, 3])
    expect(f.latency.ys[0]!.map((y) => +y!.toFixed(3))).toEqual([1, 2, 3])
    expect(f.atS).toBeCloseTo(f.spanS)
  })

  it('at a playhead: what has happened by then, the lines cut there, the clients not yet closed without a point', () => {
    const entries = compareEntries(model.servers(), model.connections(), ['s1', 's2'])
    const decoded = compareEvents(store, entries)
    const f = compareFigures(decoded, entries, 1000 + 1.5 * S)!
    expect(f.atS).toBeCloseTo(1.5)
    expect(f.rows[0]!.clients).toBe(1)
    expect(f.inService.x.at(-1)).toBeCloseTo(1.5)
    expect(f.latency.ys[0]).toEqual([expect.closeTo(1, 3), null, null])
    expect(f.latency.ys[1]!.every((y) => y !== null)).toBe(true)
  })

  it('steps on one x axis: a value at every change of any model, from the start to the playhead', () => {
    const chart = stepChart([{ t: [10, 30], v: [1, 0] }, { t: [20], v: [2] }], 0, 40)
    expect(chart.x).toEqual([0, 10e-6, 20e-6, 30e-6, 40e-6])
    expect(chart.ys).toEqual([[0, 1, 1, 0, 0], [0, 0, 2, 2, 2]])
    expect(latencyChart([], [], 0)).toEqual({ x: [], ys: [] })
  })
})
