import { describe, expect, it } from 'vitest'
import { deriveConnection, deriveLoop } from '../../../src/renderer/model/derive.ts'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../src/renderer/model/trace-model.ts'
import { hitTest } from '../../../src/renderer/timeline/hit-test.ts'
import { layoutLanes } from '../../../src/renderer/timeline/layout.ts'
import { GEOMETRY_DEFAULTS, type Geometry } from '../../../src/renderer/timeline/render/context.ts'
import { TimeScale } from '../../../src/renderer/timeline/time-scale.ts'
import { LOOP_BAR } from '../../../src/renderer/timeline/render/process-track.ts'
import { ev, forkConnection, items, server } from '../events.ts'

const conn = deriveConnection('1>2', '1>2', items(forkConnection('1>2', 0, 501, 1e6)))
const input = {
  servers: [{ run: 's1', pid: 100, model: 'fork', app: 'echo', host: '127.0.0.1', ports: [2], state: 'running', startedAt: 0 }],
  clients: [],
  connections: [conn],
  processes: [],
  threads: [],
  loops: [],
}
const layout = layoutLanes(input)
const g: Geometry = { width: 1200, height: 400, scrollY: 0, ...GEOMETRY_DEFAULTS }
const scale = new TimeScale(0, 2e6, g.labelWidth, g.width)
const lane = layout.lanes.find((l) => l.kind === 'conn')!
const yOf = (offset: number) => g.axisHeight + lane.y + offset

describe('hitTest', () => {
  it('finds the phase under the pointer', () => {
    const hit = hitTest(layout, scale, g, scale.toX(0.6e6), yOf(15), () => 2e6)
    expect(hit?.lane.key).toBe('conn:1>2')
    expect(hit?.phase).toMatchObject({ kind: 'blocked', on: 'sleep' })
  })

  it('picks the nearest mark on the side of the bar the pointer is on', () => {
    const recvT = conn.marks.find((m) => m.kind === 'recv' && m.side === 'server')!.t
    const above = hitTest(layout, scale, g, scale.toX(recvT), yOf(4), () => 2e6)
    expect(above?.mark?.side).toBe('server')
    const clientRecv = conn.marks.find((m) => m.kind === 'recv' && m.side === 'client')!
    const below = hitTest(layout, scale, g, scale.toX(clientRecv.t), yOf(26), () => 2e6)
    expect(below?.mark).toMatchObject({ side: 'client', kind: 'recv' })
  })

  it('picks a mark of a track read from the store, with the seq its tooltip reads', () => {
    const store = new EventStore()
    const model = new TraceModel(store)
    const events = forkConnection('1>2', 0, 501, 1e6)
    model.ingest(store.append(events))
    const fromStore = layoutLanes({ ...input, connections: model.connections() })
    const recv = events.findIndex((e) => e.kind === 'recv' && e.src.role === 'server')
    const hit = hitTest(fromStore, scale, g, scale.toX(events[recv]!.t), yOf(4), () => 2e6)
    expect(hit?.mark).toEqual({ kind: 'recv', t: events[recv]!.t, side: 'server', bytes: 5, seq: recv })
    expect(store.event(hit!.mark!.seq)).toEqual(events[recv])
  })

  it('reports the label column and the axis', () => {
    expect(hitTest(layout, scale, g, 20, yOf(10), () => 0)).toMatchObject({ onLabel: true })
    expect(hitTest(layout, scale, g, 500, 5, () => 0)).toBeNull()
  })
})

describe('hitTest on an event loop lane', () => {
  const s = server(100)
  const loop = deriveLoop('s1', 100, 0, items([
    ev('block', 0, s, { on: 'select', sockets: 1 }),
    ev('wakeup', 1e6, s, { readable: ['listen:2'], writable: [], waitedUs: 1e6 }),
    ev('block', 1e6 + 10, s, { conn: '1>2', on: 'send' }),
  ]))
  const loopLayout = layoutLanes({
    servers: [{ run: 's1', pid: 100, model: 'select', app: 'echo', host: '127.0.0.1', ports: [2], state: 'running', startedAt: 0 }],
    clients: [],
    connections: [],
    processes: [],
    threads: [],
    loops: [loop],
  })
  const loopLane = loopLayout.lanes.find((l) => l.kind === 'loop')!
  const at = (dy: number) => g.axisHeight + loopLane.y + dy

  it('on its bar, says what the loop’s thread does then: waiting in select(), or stuck in a send', () => {
    expect(hitTest(loopLayout, scale, g, scale.toX(0.5e6), at(LOOP_BAR.top + 7), () => 2e6)?.phase).toMatchObject({ kind: 'sleeping', on: 'select', sockets: 1 })
    expect(hitTest(loopLayout, scale, g, scale.toX(1.5e6), at(LOOP_BAR.top + 7), () => 2e6)?.phase).toMatchObject({ on: 'send', conn: '1>2' })
  })

  it('above the bar, picks the wake-up under the pointer, else the state', () => {
    const above = hitTest(loopLayout, scale, g, scale.toX(1e6), at(6), () => 2e6)
    expect(above?.wakeup?.t).toBe(1e6)
    expect(hitTest(loopLayout, scale, g, scale.toX(0.5e6), at(6), () => 2e6)?.phase?.on).toBe('select')
  })
})
