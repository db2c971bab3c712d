import type { ConnectionTrack, LoopTrack, ProcessTrack, ServerInfo, ThreadTrack } from '../model/derive.ts'

export type LaneKind = 'group' | 'server' | 'loop' | 'conn' | 'process' | 'thread' | 'clients'

export const LANE_HEIGHT: Record<LaneKind, number> = {
  group: 28,
  server: 22,
  loop: 36,
  conn: 30,
  process: 20,
  thread: 20,
  clients: 22,
}

export interface Lane {
  key: string
  kind: LaneKind
  /** Top of the lane in content coordinates (0 = first lane, below the axis). */
  y: number
  height: number
  label: string
  sublabel: string
  /** The run (server or client workload) the lane belongs to. */
  run: string | null
  group: string
  /** The connection this lane is about or serves, for selection. */
  connKey: string | null
  /** 1-based number of the connection within its server. */
  index: number | null
  conn?: ConnectionTrack
  proc?: ProcessTrack
  thread?: ThreadTrack
  loop?: LoopTrack
  /** Group headers: collapsed or not. */
  collapsed?: boolean
}

/** A server's group: what its listen event says (or its run, before one), and its run's state. */
export interface ServerGroupInfo extends Omit<ServerInfo, 'listenT'> {
  state: string
  startedAt: number
}

export interface ClientGroupInfo {
  run: string
  pid: number
  workload: string
  count: number | null
  port: number | null
  state: string
  startedAt: number
}

/** A process Sockscope observes (did not start): its tree, known from the OS alone. */
export interface ObservedGroupInfo {
  run: string
  pid: number
  command: string
  /** Where it listens: connections to these ports are its. */
  host: string
  ports: number[]
  state: string
  startedAt: number
  /** The tree in order (root first), as tracks built from the OS's view (osProcessTrack). */
  processes: readonly { proc: ProcessTrack; depth: number; zombie: boolean }[]
}

export interface LayoutInput {
  servers: readonly ServerGroupInfo[]
  observed?: readonly ObservedGroupInfo[]
  clients: readonly ClientGroupInfo[]
  connections: readonly ConnectionTrack[]
  processes: readonly ProcessTrack[]
  threads: readonly ThreadTrack[]
  loops: readonly LoopTrack[]
  collapsed?: ReadonlySet<string>
}

export interface Layout {
  lanes: Lane[]
  height: number
  /** Connection key → its number within its server. */
  connIndex: Map<string, number>
  /** Lane keys by the connection they relate to. */
  related: Map<string, string[]>
}

/**
 * Lanes, top to bottom: the client workloads; per server (in start order) a header, the
 * server process, its event loops, one lane per connection (in arrival order), then its
 * child processes and threads; per observed process, the same from what the OS says (its
 * connections drawn from the clients' side alone); then connections no known server claims.
 */
export function layoutLanes(input: LayoutInput): Layout {
  const lanes: Lane[] = []
  const connIndex = new Map<string, number>()
  const related = new Map<string, string[]>()
  const collapsed = input.collapsed ?? new Set<string>()
  let y = 0
  // (The lane is the object given, placed: no copy of 10,000 lanes each layout.)
  const push = (given: Omit<Lane, 'y' | 'height'>) => {
    const lane = given as Lane
    lane.y = y
    lane.height = LANE_HEIGHT[lane.kind]
    lanes.push(lane)
    y += lane.height
    if (lane.connKey) {
      const keys = related.get(lane.connKey)
      if (keys) keys.push(lane.key)
      else related.set(lane.connKey, [lane.key])
    }
  }

  // The client workloads come first: a few lanes that say what drives the servers below,
  // kept in view however many connection, child and thread lanes the servers grow.
  if (input.clients.length) {
    const group = 'group:clients'
    const isCollapsed = collapsed.has(group)
    push({ key: group, kind: 'group', label: 'clients', sublabel: `${input.clients.length} workload${input.clients.length === 1 ? '' : 's'}`, run: null, group, connKey: null, index: null, collapsed: isCollapsed })
    if (!isCollapsed) {
      for (const client of [...input.clients].sort((a, b) => a.startedAt - b.startedAt)) {
        const proc = input.processes.find((p) => p.pid === client.pid)
        const what = `${client.workload}${client.count ? ` ×${client.count}` : ''}`
        push({ key: `clients:${client.run}`, kind: 'clients', label: client.run, sublabel: `${what} · pid ${client.pid}`, run: client.run, group, connKey: null, index: null, proc })
      }
    }
  }

  const claimed = new Set<string>()
  const servers = [...input.servers].sort((a, b) => a.startedAt - b.startedAt)
  for (const server of servers) {
    const group = `group:${server.run}`
    const conns = input.connections.filter((c) => c.serverRun === server.run || (c.serverRun === null && server.ports.includes(c.serverPort)))
    conns.forEach((c, i) => {
      connIndex.set(c.key, i + 1)
      claimed.add(c.key)
    })
    const isCollapsed = collapsed.has(group)
    const where = server.ports.length ? `${server.host}:${server.ports.join(', ')}` : server.host
    push({
      key: group,
      kind: 'group',
      label: `${server.run} · ${server.model} · ${server.app} · ${where}`,
      sublabel: `${server.state} · pid ${server.pid} · ${conns.length} connection${conns.length === 1 ? '' : 's'}`,
      run: server.run,
      group,
      connKey: null,
      index: null,
      collapsed: isCollapsed,
    })
    if (isCollapsed) continue
    const proc = input.processes.find((p) => p.pid === server.pid)
    push({ key: `server:${server.run}`, kind: 'server', label: `server`, sublabel: `pid ${server.pid}`, run: server.run, group, connKey: null, index: null, proc })
    for (const loop of input.loops.filter((l) => l.run === server.run))
      push({ key: `loop:${loop.key}`, kind: 'loop', label: 'event loop', sublabel: `pid ${loop.pid}${loop.tid ? ` t${loop.tid}` : ''}`, run: server.run, group, connKey: null, index: null, loop })
    conns.forEach((c, i) =>
      push({ key: `conn:${c.key}`, kind: 'conn', label: `#${i + 1}`, sublabel: `:${c.clientPort}`, run: server.run, group, connKey: c.key, index: i + 1, conn: c }),
    )
    const byConn = (a: { conn: string | null; startT: number | null }, b: { conn: string | null; startT: number | null }) =>
      (connIndex.get(a.conn ?? '') ?? 1e9) - (connIndex.get(b.conn ?? '') ?? 1e9) || (a.startT ?? 0) - (b.startT ?? 0)
    for (const child of input.processes.filter((p) => p.role === 'child' && p.ppid === server.pid).sort(byConn)) {
      const index = child.conn ? (connIndex.get(child.conn) ?? null) : null
      push({ key: `proc:${child.pid}`, kind: 'process', label: `pid ${child.pid}`, sublabel: index ? `child #${index}` : 'child', run: server.run, group, connKey: child.conn, index, proc: child })
    }
    for (const thread of input.threads.filter((t) => t.pid === server.pid).sort(byConn)) {
      const index = thread.conn ? (connIndex.get(thread.conn) ?? null) : null
      push({ key: `thread:${thread.key}`, kind: 'thread', label: `thread ${thread.tid}`, sublabel: index ? `for #${index}` : '', run: server.run, group, connKey: thread.conn, index, thread })
    }
  }

  for (const obs of [...(input.observed ?? [])].sort((a, b) => a.startedAt - b.startedAt)) {
    const group = `group:${obs.run}`
    const conns = input.connections.filter((c) => !claimed.has(c.key) && c.serverRun === null && obs.ports.includes(c.serverPort))
    conns.forEach((c, i) => {
      connIndex.set(c.key, i + 1)
      claimed.add(c.key)
    })
    const isCollapsed = collapsed.has(group)
    const where = obs.ports.length ? ` · ${obs.host}:${obs.ports.join(', ')}` : ''
    push({
      key: group,
      kind: 'group',
      label: `${obs.run} · observed · ${obs.command}${where}`,
      sublabel: `${obs.state} · pid ${obs.pid} · as the OS lists it · ${conns.length} connection${conns.length === 1 ? '' : 's'}`,
      run: obs.run,
      group,
      connKey: null,
      index: null,
      collapsed: isCollapsed,
    })
    if (isCollapsed) continue
    const [root, ...rest] = obs.processes
    if (root) push({ key: `server:${obs.run}`, kind: 'server', label: 'observed', sublabel: `pid ${root.proc.pid}`, run: obs.run, group, connKey: null, index: null, proc: root.proc })
    conns.forEach((c, i) =>
      push({ key: `conn:${c.key}`, kind: 'conn', label: `#${i + 1}`, sublabel: `:${c.clientPort}`, run: obs.run, group, connKey: c.key, index: i + 1, conn: uninstrumented(c) }),
    )
    for (const { proc, depth, zombie } of rest)
      push({ key: `proc:${obs.run}:${proc.pid}`, kind: 'process', label: `pid ${proc.pid}`, sublabel: zombie ? 'zombie' : depth > 1 ? `depth ${depth}` : 'child', run: obs.run, group, connKey: null, index: null, proc })
  }

  const orphans = input.connections.filter((c) => !claimed.has(c.key))
  if (orphans.length) {
    const group = 'group:other'
    const isCollapsed = collapsed.has(group)
    push({ key: group, kind: 'group', label: 'other connections', sublabel: 'no server of this lab claims them', run: null, group, connKey: null, index: null, collapsed: isCollapsed })
    orphans.forEach((c, i) => {
      connIndex.set(c.key, i + 1)
      if (!isCollapsed) push({ key: `conn:${c.key}`, kind: 'conn', label: `#${i + 1}`, sublabel: `:${c.clientPort}`, run: c.serverRun ?? c.clientRun, group, connKey: c.key, index: i + 1, conn: c })
    })
  }

  return { lanes, height: y, connIndex, related }
}

/**
 * A connection to a server that reports nothing: without its accept, the client's side
 * cannot tell queued from served, so the time is drawn as plainly connected.
 */
function uninstrumented(c: ConnectionTrack): ConnectionTrack {
  if (c.acceptT !== null || c.serverRun !== null) return c
  return { ...c, phases: c.phases.map((p) => (p.kind === 'queued' ? { ...p, kind: 'connected' } : p)) }
}

/** The lane at content y (binary search: lanes are in y order). */
export function laneAt(lanes: readonly Lane[], y: number): Lane | undefined {
  let lo = 0
  let hi = lanes.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const lane = lanes[mid]!
    if (y < lane.y) hi = mid - 1
    else if (y >= lane.y + lane.height) lo = mid + 1
    else return lane
  }
  return undefined
}

/**
 * Lanes that overlap [top, bottom) in content coordinates: a binary search for the first
 * and the lanes from there down, so a frame costs what is on screen, not all 10,000 lanes.
 */
export function visibleLanes(lanes: readonly Lane[], top: number, bottom: number): Lane[] {
  let lo = 0
  let hi = lanes.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const lane = lanes[mid]!
    if (lane.y + lane.height <= top) lo = mid + 1
    else hi = mid
  }
  const out: Lane[] = []
  for (let i = lo; i < lanes.length && lanes[i]!.y < bottom; i++) out.push(lanes[i]!)
  return out
}
