import { describe, expect, it } from 'vitest'
import { deriveConnection, deriveProcess, type ProcessTrack } from '../../../src/renderer/model/derive.ts'
import { LANE_HEIGHT, laneAt, layoutLanes, visibleLanes } from '../../../src/renderer/timeline/layout.ts'
import { osProcessTrack, osTableOf } from '../../../src/renderer/model/os-view.ts'
import { ev, forkConnection, items, procEvent, server } from '../events.ts'

function scene() {
  // 13>9: a client of a server this lab did not start (only client-side events).
  const foreign = forkConnection('13>9', 50, 601).filter((e) => e.src.role === 'client')
  const events = [...forkConnection('11>2', 0, 501), ...forkConnection('12>2', 100, 502), ...foreign]
  const byConn = (conn: string) => items(events.filter((e) => (e as { conn?: string }).conn === conn))
  const connections = ['11>2', '13>9', '12>2'].map((c) => deriveConnection(c, c, byConn(c))).sort((a, b) => a.firstT - b.firstT)
  const procOf = (pid: number) => deriveProcess(pid, items(events.filter((e) => e.src.pid === pid || (e as { childPid?: number }).childPid === pid)))
  const processes: ProcessTrack[] = [procOf(100), procOf(501), procOf(502), procOf(200)]
  return {
    servers: [{ run: 's1', pid: 100, model: 'fork', app: 'echo', host: '127.0.0.1', ports: [2], state: 'running', startedAt: 0 }],
    clients: [{ run: 'c2', pid: 200, workload: 'burst', count: 3, port: 2, state: 'finished', startedAt: 1 }],
    connections,
    processes,
    threads: [],
    loops: [],
  }
}

describe('layoutLanes', () => {
  it('stacks the clients on top, then a server group (header, server, connections in arrival order, children)', () => {
    const { lanes, height, connIndex } = layoutLanes(scene())
    expect(lanes.map((l) => `${l.kind}:${l.label}`)).toEqual([
      'group:clients',
      'clients:c2',
      'group:s1 · fork · echo · 127.0.0.1:2',
      'server:server',
      'conn:#1',
      'conn:#2',
      'process:pid 501',
      'process:pid 502',
      'group:other connections',
      'conn:#1',
    ])
    expect(lanes[6]!.sublabel).toBe('child #1')
    expect(connIndex.get('12>2')).toBe(2)
    // Lanes tile the height with no gaps.
    let y = 0
    for (const lane of lanes) {
      expect(lane.y).toBe(y)
      expect(lane.height).toBe(LANE_HEIGHT[lane.kind])
      y += lane.height
    }
    expect(height).toBe(y)
  })

  it('relates a connection to its child process lane, for selection', () => {
    const { related } = layoutLanes(scene())
    expect(related.get('11>2')).toEqual(['conn:11>2', 'proc:501'])
  })

  it('collapses a group to its header', () => {
    const { lanes } = layoutLanes({ ...scene(), collapsed: new Set(['group:s1']) })
    expect(lanes.filter((l) => l.group === 'group:s1').map((l) => l.kind)).toEqual(['group'])
    expect(lanes.find((l) => l.key === 'group:s1')!.collapsed).toBe(true)
  })

  it('adds a loop lane for an event-loop server and thread lanes for a thread server', () => {
    const base = scene()
    const layout = layoutLanes({
      ...base,
      loops: [{ key: 's1:100:0', run: 's1', pid: 100, tid: 0, wakeups: [], maxReady: 0, phases: [], blockedOn: null, blockedFor: null }],
      threads: [{ key: '100:3', pid: 100, tid: 3, run: 's1', conn: '12>2', startT: 0, endT: null, blockedOn: null, phases: [], marks: [] }],
    })
    const kinds = layout.lanes.filter((l) => l.group === 'group:s1').map((l) => l.kind)
    expect(kinds).toEqual(['group', 'server', 'loop', 'conn', 'conn', 'process', 'process', 'thread'])
    expect(layout.lanes.find((l) => l.kind === 'thread')!.sublabel).toBe('for #2')
  })

  it('finds the lane under a y and the lanes in a window', () => {
    const { lanes } = layoutLanes(scene())
    const clientsHeight = LANE_HEIGHT.group + LANE_HEIGHT.clients
    expect(laneAt(lanes, 0)!.kind).toBe('group')
    expect(laneAt(lanes, clientsHeight + LANE_HEIGHT.group + LANE_HEIGHT.server + 1)!.label).toBe('#1')
    expect(laneAt(lanes, 1e6)).toBeUndefined()
    expect(visibleLanes(lanes, clientsHeight, clientsHeight + LANE_HEIGHT.group + 1).map((l) => l.kind)).toEqual(['group', 'server'])
  })

  it('makes a group for a server seen only by its listen event', () => {
    const layout = layoutLanes({ servers: [], clients: [], connections: [], processes: [deriveProcess(7, items([ev('listen', 0, server(7), { port: 1 })]))], threads: [], loops: [] })
    expect(layout.lanes).toEqual([])
  })

  it('gives an observed process a group: its tree from the OS, and the connections to its ports drawn as connected', () => {
    const base = scene()
    const os = osTableOf([procEvent(0, 'appeared', 900, 1, 'S'), procEvent(60, 'appeared', 901, 900, 'S'), procEvent(90, 'changed', 901, 900, 'Z')])
    const tracks = [os.get(900)!, os.get(901)!].map((p, i) => ({ proc: osProcessTrack(p), depth: i, zombie: p.latest.state === 'Z' }))
    const { lanes, connIndex } = layoutLanes({
      ...base,
      observed: [{ run: 'o3', pid: 900, command: 'python3 fork_server_noreap.py', host: '127.0.0.1', ports: [9], state: 'running', startedAt: 5, processes: tracks }],
    })
    expect(lanes.map((l) => `${l.kind}:${l.label}:${l.sublabel}`).slice(8, 12)).toEqual([
      'group:o3 · observed · python3 fork_server_noreap.py · 127.0.0.1:9:running · pid 900 · as the OS lists it · 1 connection',
      'server:observed:pid 900',
      'conn:#1::13',
      'process:pid 901:zombie',
    ])
    // The foreign connection is the observed server's now, not "other"; its time is not called queued.
    expect(lanes.some((l) => l.label === 'other connections')).toBe(false)
    expect(connIndex.get('13>9')).toBe(1)
    const conn = lanes.find((l) => l.conn?.conn === '13>9')!.conn!
    expect(conn.phases.map((p) => p.kind)).toEqual(['connected'])
    expect(lanes.find((l) => l.label === 'pid 901')!.proc!.phases.map((p) => p.kind)).toEqual(['alive', 'zombie'])
  })
})
