import type { BlockReason, ProcEvent, ReapPolicy, SockscopeEvent } from '../../servers/events.ts'

/**
 * Events → what the timeline and the process table show: each connection's phases
 * (waiting in the accept queue, a child or thread starting, blocked on something,
 * working), each process's life (starting, running, zombie, reaped), each thread's, each
 * event loop's wake-ups. Pure functions over one track's events in time order; the
 * TraceModel (trace-model.ts) decides which events belong to which track.
 */

/** One event and its sequence number in the store (for tooltips and selection). */
export interface Item {
  seq: number
  e: SockscopeEvent
}

export type Side = 'server' | 'client'

/** `alive`: a process the OS lists, doing what it does (the sampler cannot say more);
 *  `connected`: a connection to a server that reports nothing (an observed process). */
export type PhaseKind = 'queued' | 'spawn' | 'blocked' | 'working' | 'starting' | 'running' | 'sleeping' | 'zombie' | 'alive' | 'connected'

/** A span of time on a lane; `end` null means still going. */
export interface Phase {
  kind: PhaseKind
  start: number
  end: number | null
  /** blocked / sleeping: what it waits on. */
  on?: BlockReason
  /** The event that began it. */
  seq: number
}

/** An instant on a lane: a recv or send (sized by bytes), an accept, a close, a fork… */
export interface Mark {
  kind: string
  t: number
  side: Side
  bytes: number
  seq: number
}

export interface ConnectionTrack {
  key: string
  conn: string
  clientPort: number
  serverPort: number
  serverRun: string | null
  clientRun: string | null
  /** The server process that accepted it. */
  serverPid: number | null
  /** Fork model: the child that served it; thread model: the thread. */
  childPid: number | null
  threadId: number | null
  firstT: number
  lastT: number
  connectT: number | null
  queuedT: number | null
  acceptT: number | null
  serverCloseT: number | null
  clientCloseT: number | null
  phases: Phase[]
  marks: Mark[]
  /** What the handler waits on at the end of what has been seen; null when not blocked. */
  blockedOn: BlockReason | null
  errors: number
}

const sideOf = (e: SockscopeEvent): Side => (e.src.role === 'client' ? 'client' : 'server')

/** `clientPort>serverPort`, as connId() writes it. */
export function parseConnId(conn: string): { clientPort: number; serverPort: number } {
  const [client, server] = conn.split('>')
  return { clientPort: Number(client) || 0, serverPort: Number(server) || 0 }
}

/** Kinds that are drawn as phases, not as marks. */
const PHASE_ONLY = new Set(['block', 'unblock', 'queued', 'lock-wait', 'lock-acquire'])

export function deriveConnection(key: string, conn: string, items: readonly Item[]): ConnectionTrack {
  const { clientPort, serverPort } = parseConnId(conn)
  const track: ConnectionTrack = {
    key,
    conn,
    clientPort,
    serverPort,
    serverRun: null,
    clientRun: null,
    serverPid: null,
    childPid: null,
    threadId: null,
    firstT: items[0]?.e.t ?? 0,
    lastT: items.at(-1)?.e.t ?? 0,
    connectT: null,
    queuedT: null,
    acceptT: null,
    serverCloseT: null,
    clientCloseT: null,
    phases: [],
    marks: [],
    blockedOn: null,
    errors: 0,
  }
  let forkT: number | null = null
  let threadStartT: number | null = null
  let handlerFirstT: number | null = null
  const blocks: Phase[] = []
  const open = new Map<string, Phase>()

  for (const { seq, e } of items) {
    const side = sideOf(e)
    if (side === 'server') track.serverRun ??= e.src.run
    else track.clientRun ??= e.src.run
    switch (e.kind) {
      case 'connect':
        track.connectT ??= e.t
        break
      case 'queued':
        track.queuedT ??= e.t
        break
      case 'accept':
        track.acceptT ??= e.t
        track.serverPid ??= e.src.pid
        break
      case 'fork':
        forkT ??= e.t
        track.childPid ??= e.childPid
        break
      case 'thread-start':
        threadStartT ??= e.t
        track.threadId ??= e.threadId
        break
      case 'close':
        if (side === 'server') track.serverCloseT ??= e.t
        else track.clientCloseT ??= e.t
        break
      case 'error':
        track.errors++
        break
      case 'block':
      case 'lock-wait':
        if (side === 'server') {
          const on: BlockReason = e.kind === 'block' ? e.on : 'lock'
          const phase: Phase = { kind: 'blocked', start: e.t, end: null, on, seq }
          open.set(`${e.src.pid}:${e.src.tid}:${on}`, phase)
          blocks.push(phase)
        }
        break
      case 'unblock':
      case 'lock-acquire':
        if (side === 'server') {
          const on: BlockReason = e.kind === 'unblock' ? e.on : 'lock'
          const id = `${e.src.pid}:${e.src.tid}:${on}`
          const phase = open.get(id)
          if (phase) {
            phase.end = e.t
            open.delete(id)
          }
        }
        break
    }
    // The handler's own first sign of life: a forked child's or a thread's first event.
    if (side === 'server' && handlerFirstT === null) {
      if (track.childPid !== null && e.src.pid === track.childPid) handlerFirstT = e.t
    }
    if (!PHASE_ONLY.has(e.kind)) track.marks.push({ kind: e.kind, t: e.t, side, bytes: 'bytes' in e ? e.bytes : 0, seq })
  }

  const openBlocks = [...open.values()]
  track.blockedOn = openBlocks.at(-1)?.on ?? null
  const serviceEnd = track.serverCloseT
  // A block still open when the handler has closed ended with it (a stop, an error).
  for (const phase of openBlocks) if (serviceEnd !== null) phase.end = Math.max(phase.start, serviceEnd)

  const queueStart = minDefined(track.connectT, track.queuedT)
  if (queueStart !== null) {
    const queueEnd = track.acceptT ?? (track.serverCloseT ?? track.clientCloseT)
    if (queueEnd === null || queueEnd > queueStart) track.phases.push({ kind: 'queued', start: queueStart, end: queueEnd, seq: items[0]?.seq ?? 0 })
  }
  if (track.acceptT === null) return track

  let cursor: number | null = track.acceptT
  const spawnStart = forkT ?? (threadStartT !== null ? track.acceptT : null)
  if (spawnStart !== null) {
    const spawnEnd = forkT !== null ? (handlerFirstT ?? serviceEnd) : threadStartT
    track.phases.push({ kind: 'spawn', start: Math.min(track.acceptT, spawnStart), end: spawnEnd, seq: items[0]?.seq ?? 0 })
    cursor = spawnEnd
  }
  blocks.sort((a, b) => a.start - b.start)
  for (const block of blocks) {
    if (cursor === null) break
    if (block.start > cursor) track.phases.push({ kind: 'working', start: cursor, end: block.start, seq: block.seq })
    track.phases.push(block)
    cursor = block.end === null ? null : Math.max(cursor, block.end)
  }
  if (cursor !== null) {
    if (serviceEnd === null) track.phases.push({ kind: 'working', start: cursor, end: null, seq: items.at(-1)?.seq ?? 0 })
    else if (serviceEnd > cursor) track.phases.push({ kind: 'working', start: cursor, end: serviceEnd, seq: items.at(-1)?.seq ?? 0 })
  }
  return track
}

export type ProcessRole = 'server' | 'child' | 'client' | 'lab' | 'other'

export interface ProcessTrack {
  pid: number
  /** The parent, where the events say (a fork): a child's server. */
  ppid: number | null
  role: ProcessRole
  run: string | null
  /** Fork model: the connection the child serves. */
  conn: string | null
  startT: number | null
  firstOwnT: number | null
  lastT: number
  exitT: number | null
  exitCode: number | null
  exitSignal: string | null
  reapT: number | null
  reapPolicy: ReapPolicy | null
  reapTrigger: string | null
  /** The reap is where the policy would have reaped (Node reaps at once itself). */
  reapModelled: boolean
  /** Threads started in it and not yet ended (the main thread not counted). */
  liveThreads: number
  threadsStarted: number
  blockedOn: BlockReason | null
  phases: Phase[]
  marks: Mark[]
  /** The OS sampler's latest view of it, if the sampler runs. */
  os: ProcEvent | null
}

/** A process known by its pid alone: nothing about its life yet. */
export function blankProcessTrack(pid: number): ProcessTrack {
  return {
    pid,
    ppid: null,
    role: 'other',
    run: null,
    conn: null,
    startT: null,
    firstOwnT: null,
    lastT: 0,
    exitT: null,
    exitCode: null,
    exitSignal: null,
    reapT: null,
    reapPolicy: null,
    reapTrigger: null,
    reapModelled: false,
    liveThreads: 0,
    threadsStarted: 0,
    blockedOn: null,
    phases: [],
    marks: [],
    os: null,
  }
}

/**
 * One process's life from the events about it: its own (src.pid) and its parent's
 * fork / exit / reap of it (childPid).
 */
export function deriveProcess(pid: number, items: readonly Item[]): ProcessTrack {
  const track: ProcessTrack = { ...blankProcessTrack(pid), lastT: items.at(-1)?.e.t ?? 0 }
  const sleeps: Phase[] = []
  const open = new Map<string, Phase>()
  let forkSeq = items[0]?.seq ?? 0
  for (const { seq, e } of items) {
    const own = e.src.pid === pid
    if (e.kind === 'proc') {
      if (e.pid === pid) track.os = e
      continue
    }
    if (e.kind === 'fork' && e.childPid === pid) {
      track.role = 'child'
      track.ppid = e.src.pid
      track.run = e.src.run
      track.conn = e.conn
      track.startT ??= e.t
      forkSeq = seq
      track.marks.push({ kind: 'fork', t: e.t, side: 'server', bytes: 0, seq })
      continue
    }
    if (e.kind === 'exit' && e.childPid === pid) {
      track.exitT ??= e.t
      track.exitCode = e.code
      track.exitSignal = e.signal
      track.marks.push({ kind: 'exit', t: e.t, side: 'server', bytes: 0, seq })
      continue
    }
    if (e.kind === 'reap' && e.childPid === pid) {
      track.reapT ??= e.t
      track.reapPolicy = e.policy
      track.reapTrigger = e.trigger
      track.reapModelled = e.modelled
      track.marks.push({ kind: 'reap', t: e.t, side: 'server', bytes: 0, seq })
      continue
    }
    if (!own) continue
    if (track.role === 'other') track.role = e.src.role === 'client' ? 'client' : e.src.role === 'server' ? 'server' : e.src.role === 'lab' ? 'lab' : 'other'
    track.run ??= e.src.run
    track.firstOwnT ??= e.t
    track.startT ??= e.t
    switch (e.kind) {
      case 'thread-start':
        track.liveThreads++
        track.threadsStarted++
        break
      case 'thread-end':
        track.liveThreads = Math.max(0, track.liveThreads - 1)
        break
      case 'block':
        if (e.src.tid === 0) {
          const phase: Phase = { kind: 'sleeping', start: e.t, end: null, on: e.on, seq }
          open.set(e.on, phase)
          sleeps.push(phase)
        }
        break
      case 'unblock': {
        const phase = e.src.tid === 0 ? open.get(e.on) : undefined
        if (phase) {
          phase.end = e.t
          open.delete(e.on)
        }
        break
      }
      case 'listen':
      case 'accept':
      case 'fork':
      case 'reap':
      case 'error':
        track.marks.push({ kind: e.kind, t: e.t, side: e.src.role === 'client' ? 'client' : 'server', bytes: 0, seq })
        break
    }
  }
  track.blockedOn = [...open.values()].at(-1)?.on ?? null
  const lifeEnd = track.exitT
  for (const phase of open.values()) if (lifeEnd !== null) phase.end = Math.max(phase.start, lifeEnd)

  if (track.role === 'child' && track.startT !== null) {
    const running = track.firstOwnT ?? lifeEnd
    track.phases.push({ kind: 'starting', start: track.startT, end: running, seq: forkSeq })
    if (running !== null) pushAlive(track.phases, running, lifeEnd, sleeps)
  } else if (track.startT !== null) {
    pushAlive(track.phases, track.startT, lifeEnd, sleeps)
  }
  if (track.exitT !== null && (track.reapT === null || track.reapT > track.exitT))
    track.phases.push({ kind: 'zombie', start: track.exitT, end: track.reapT, seq: forkSeq })
  return track
}

/** running from start to end, with the sleeps cut out of it. */
function pushAlive(phases: Phase[], start: number, end: number | null, sleeps: Phase[]): void {
  let cursor: number | null = start
  for (const sleep of sleeps.sort((a, b) => a.start - b.start)) {
    if (cursor === null) break
    if (sleep.start > cursor) phases.push({ kind: 'running', start: cursor, end: sleep.start, seq: sleep.seq })
    phases.push(sleep)
    cursor = sleep.end === null ? null : Math.max(cursor, sleep.end)
  }
  if (cursor !== null && (end === null || end > cursor)) phases.push({ kind: 'running', start: cursor, end, seq: sleeps.at(-1)?.seq ?? 0 })
}

export interface ThreadTrack {
  key: string
  pid: number
  tid: number
  run: string
  conn: string | null
  startT: number
  endT: number | null
  blockedOn: BlockReason | null
  phases: Phase[]
  marks: Mark[]
}

/** A thread's life (thread-start → thread-end) and what it blocked on, from its own events. */
export function deriveThread(pid: number, tid: number, items: readonly Item[]): ThreadTrack {
  const first = items[0]
  const track: ThreadTrack = {
    key: `${pid}:${tid}`,
    pid,
    tid,
    run: first?.e.src.run ?? '',
    conn: null,
    startT: first?.e.t ?? 0,
    endT: null,
    blockedOn: null,
    phases: [],
    marks: [],
  }
  const sleeps: Phase[] = []
  const open = new Map<string, Phase>()
  for (const { seq, e } of items) {
    if ('conn' in e && typeof e.conn === 'string') track.conn ??= e.conn
    if (e.kind === 'thread-start') {
      track.startT = e.t
      track.marks.push({ kind: e.kind, t: e.t, side: 'server', bytes: 0, seq })
    } else if (e.kind === 'thread-end') {
      track.endT ??= e.t
      track.marks.push({ kind: e.kind, t: e.t, side: 'server', bytes: 0, seq })
    } else if (e.kind === 'block') {
      const phase: Phase = { kind: 'sleeping', start: e.t, end: null, on: e.on, seq }
      open.set(e.on, phase)
      sleeps.push(phase)
    } else if (e.kind === 'unblock') {
      const phase = open.get(e.on)
      if (phase) {
        phase.end = e.t
        open.delete(e.on)
      }
    }
  }
  track.blockedOn = [...open.values()].at(-1)?.on ?? null
  for (const phase of open.values()) if (track.endT !== null) phase.end = Math.max(phase.start, track.endT)
  pushAlive(track.phases, track.startT, track.endT, sleeps)
  return track
}

export interface Wakeup {
  t: number
  seq: number
  readable: number
  writable: number
  waitedUs: number
}

export interface LoopTrack {
  key: string
  run: string
  pid: number
  tid: number
  wakeups: Wakeup[]
  maxReady: number
}

/** An event loop's wake-ups (select / asyncio / reactor), each with the size of its ready set. */
export function deriveLoop(run: string, pid: number, tid: number, items: readonly Item[]): LoopTrack {
  const wakeups: Wakeup[] = []
  let maxReady = 0
  for (const { seq, e } of items) {
    if (e.kind !== 'wakeup') continue
    const readable = e.readable?.length ?? 0
    const writable = e.writable?.length ?? 0
    maxReady = Math.max(maxReady, readable + writable)
    wakeups.push({ t: e.t, seq, readable, writable, waitedUs: e.waitedUs ?? 0 })
  }
  return { key: `${run}:${pid}:${tid}`, run, pid, tid, wakeups, maxReady }
}

export interface ServerInfo {
  run: string
  pid: number
  model: string
  app: string
  host: string
  ports: number[]
  listenT: number
}

function minDefined(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}
