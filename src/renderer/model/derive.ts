import type { BlockCause, BlockReason, CloseEvent, ProcEvent, ReapPolicy, SockscopeEvent } from '../../servers/events.ts'

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
/** `ready`: a connection whose handler waits for bytes (waiter 'task') after its client sent
 *  them: the socket is readable, and the connection waits for its loop to get to it. */
export type PhaseKind = 'queued' | 'spawn' | 'blocked' | 'ready' | 'working' | 'starting' | 'running' | 'sleeping' | 'zombie' | 'alive' | 'connected'

/** A span of time on a lane; `end` null means still going. */
export interface Phase {
  kind: PhaseKind
  start: number
  end: number | null
  /** blocked / sleeping: what it waits on. */
  on?: BlockReason
  /** The event that began it. */
  seq: number
  /** blocked: only this connection's task or parked handler waits; its thread goes on running the loop. */
  task?: boolean
  /** sleeping: the connection the blocking call is for (a loop stuck in one connection's send or sleep). */
  conn?: string
  /** sleeping on 'select': how many sockets the loop waits on, and for how long at most (ms; absent: no limit). */
  sockets?: number
  timeoutMs?: number
  /** Why the wait began where `on` alone does not say (a server at its cap of `limit` handlers holds off accepting). */
  cause?: BlockCause
  limit?: number
}

/** An instant on a lane: a recv or send (sized by bytes), an accept, a close, a fork… */
export interface Mark {
  kind: string
  t: number
  side: Side
  bytes: number
  seq: number
}

/** How one side's close came about. */
export interface CloseInfo {
  t: number
  by: CloseEvent['by']
  /**
   * The connection ended with a reset (RST): `sent` by this side, `received` from the peer.
   * Where the side's own event does not say, it is read from the other side's: a side
   * whose peer saw a reset sent it, a side that failed with CONNECTION_RESET received it.
   */
  reset: 'sent' | 'received' | null
  /** The error this side reported on the connection before it closed, if any. */
  error: string | null
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
  /** asyncio: the task that serves it (its waits are awaits). */
  task: string | null
  firstT: number
  lastT: number
  connectT: number | null
  queuedT: number | null
  acceptT: number | null
  serverCloseT: number | null
  clientCloseT: number | null
  serverClose: CloseInfo | null
  clientClose: CloseInfo | null
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
    task: null,
    firstT: items[0]?.e.t ?? 0,
    lastT: items.at(-1)?.e.t ?? 0,
    connectT: null,
    queuedT: null,
    acceptT: null,
    serverCloseT: null,
    clientCloseT: null,
    serverClose: null,
    clientClose: null,
    phases: [],
    marks: [],
    blockedOn: null,
    errors: 0,
  }
  const errorCode: Record<Side, string | null> = { server: null, client: null }
  let forkT: number | null = null
  let threadStartT: number | null = null
  let handlerFirstT: number | null = null
  const blocks: Phase[] = []
  const open = new Map<string, Phase>()
  /** What the client sent and the server read, in time order: whether bytes wait unread. */
  const flow = new Flow()

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
      case 'task-start':
        track.task ??= e.task
        break
      case 'send':
        if (side === 'client') flow.sent(e.t, e.bytes)
        break
      case 'recv':
        if (side === 'server') flow.read(e.t, e.bytes)
        break
      case 'close':
        if (side === 'client') flow.closed(e.t)
        if (side === 'server') track.serverCloseT ??= e.t
        else track.clientCloseT ??= e.t
        if (side === 'server') track.serverClose ??= { t: e.t, by: e.by, reset: e.reset ?? null, error: errorCode.server, seq }
        else track.clientClose ??= { t: e.t, by: e.by, reset: e.reset ?? null, error: errorCode.client, seq }
        break
      case 'error':
        track.errors++
        errorCode[side] ??= e.code
        break
      case 'block':
      case 'lock-wait':
        if (side === 'server') {
          const on: BlockReason = e.kind === 'block' ? e.on : 'lock'
          const phase: Phase = { kind: 'blocked', start: e.t, end: null, on, seq, ...(e.waiter === 'task' ? { task: true } : {}) }
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

  inferResets(track, errorCode)
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
    const ready = block.task && block.on === 'recv' ? flow.readyFrom(block.start, block.end) : null
    // Once its client has sent (or closed), the handler waits for its loop, not for bytes.
    const readyPhase = (start: number): Phase => ({ kind: 'ready', start, end: block.end, on: 'recv', task: true, seq: block.seq })
    if (ready === null) track.phases.push(block)
    else if (ready <= block.start) track.phases.push(readyPhase(block.start))
    else track.phases.push({ ...block, end: ready }, readyPhase(ready))
    cursor = block.end === null ? null : Math.max(cursor, block.end)
  }
  if (cursor !== null) {
    if (serviceEnd === null) track.phases.push({ kind: 'working', start: cursor, end: null, seq: items.at(-1)?.seq ?? 0 })
    else if (serviceEnd > cursor) track.phases.push({ kind: 'working', start: cursor, end: serviceEnd, seq: items.at(-1)?.seq ?? 0 })
  }
  return track
}

/**
 * One connection's bytes from the client to the server, to tell when a server's socket
 * is readable although its handler still waits: the client has sent bytes the server has
 * not read (they wait in the kernel), or has closed (an EOF waits to be read).
 */
class Flow {
  private readonly sends: { t: number; total: number }[] = []
  private readonly reads: { t: number; total: number }[] = []
  private closeT: number | null = null

  sent(t: number, bytes: number): void {
    if (bytes > 0) this.sends.push({ t, total: (this.sends.at(-1)?.total ?? 0) + bytes })
  }

  read(t: number, bytes: number): void {
    this.reads.push({ t, total: (this.reads.at(-1)?.total ?? 0) + bytes })
  }

  closed(t: number): void {
    this.closeT ??= t
  }

  /** When, in a wait for bytes from `start` to `end`, the socket was readable: at its start, later, or never (null). */
  readyFrom(start: number, end: number | null): number | null {
    const sentBefore = totalAt(this.sends, start)
    if (sentBefore > totalAt(this.reads, start) || (this.closeT !== null && this.closeT <= start)) return start
    const next = this.sends.find((s) => s.t > start)?.t ?? null
    const first = next === null ? this.closeT : this.closeT === null || this.closeT <= start ? next : Math.min(next, this.closeT)
    return first !== null && first > start && (end === null || first < end) ? first : null
  }
}

/** A running total's value at time t (entries in time order). */
function totalAt(entries: readonly { t: number; total: number }[], t: number): number {
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (entries[mid]!.t <= t) lo = mid + 1
    else hi = mid
  }
  return lo === 0 ? 0 : entries[lo - 1]!.total
}

/** An error code that says the peer reset the connection (RST). */
const isResetCode = (code: string | null) => code === 'CONNECTION_RESET' || code === 'ECONNRESET' || code === 'EPIPE'

/**
 * A reset one side's own close does not name, read from what each side saw: a side that
 * failed with a reset received one; then the other side, if it closed first or at about the
 * same time by itself, is the one that sent it (a reset is what reaches the peer).
 */
function inferResets(track: ConnectionTrack, errorCode: Record<Side, string | null>): void {
  const server = track.serverClose
  const client = track.clientClose
  if (server && server.reset === null && isResetCode(server.error ?? errorCode.server)) server.reset = 'received'
  if (client && client.reset === null && isResetCode(client.error ?? errorCode.client)) client.reset = 'received'
  const sender = (self: CloseInfo | null, peer: CloseInfo | null) => {
    if (self && self.reset === null && self.by !== 'peer' && peer?.reset === 'received') self.reset = 'sent'
  }
  sender(client, server)
  sender(server, client)
}

/**
 * What one thread does, from its own events, as the sleeps it is in (a running thread is
 * the time between them): a blocking call (a block whose waiter is the thread; a lock it
 * waits for in acquire()), which its unblock ends; or, for an event loop, its wait in
 * select(), which its next wake-up ends. A task's waits (waiter 'task': an asyncio await,
 * a handler parked until its socket is readable) are that connection's, never its thread's.
 * A thread is in one call at a time: a new one begun ends whatever was open.
 */
export function threadSleeps(items: readonly Item[], own: (e: SockscopeEvent) => boolean): { sleeps: Phase[]; open: Phase | null } {
  const sleeps: Phase[] = []
  let open: Phase | null = null
  const end = (t: number) => {
    if (open) open.end = Math.max(open.start, t)
    open = null
  }
  for (const { seq, e } of items) {
    if (!own(e)) continue
    switch (e.kind) {
      case 'block':
      case 'lock-wait': {
        if (e.waiter === 'task') break
        end(e.t)
        const phase: Phase = { kind: 'sleeping', start: e.t, end: null, on: e.kind === 'block' ? e.on : 'lock', seq }
        if (e.conn !== undefined) phase.conn = e.conn
        if (e.kind === 'block' && e.on === 'select') {
          if (e.sockets !== undefined) phase.sockets = e.sockets
          if (e.timeoutMs !== undefined) phase.timeoutMs = e.timeoutMs
        }
        if (e.kind === 'block' && e.cause !== undefined) {
          phase.cause = e.cause
          if (e.limit !== undefined) phase.limit = e.limit
        }
        open = phase
        sleeps.push(phase)
        break
      }
      case 'unblock':
      case 'lock-acquire': {
        const on = e.kind === 'unblock' ? e.on : 'lock'
        if (e.waiter !== 'task' && open?.on === on) end(e.t)
        break
      }
      case 'wakeup':
        if (open?.on === 'select') end(e.t)
        break
    }
  }
  return { sleeps, open }
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
  // The process's main thread: what a single-threaded process does, and what its lane shows.
  const { sleeps, open } = threadSleeps(items, (e) => e.src.pid === pid && e.src.tid === 0 && e.kind !== 'proc')
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
      case 'listen':
      case 'accept':
      case 'fork':
      case 'reap':
      case 'error':
        track.marks.push({ kind: e.kind, t: e.t, side: e.src.role === 'client' ? 'client' : 'server', bytes: 0, seq })
        break
    }
  }
  track.blockedOn = open?.on ?? null
  const lifeEnd = track.exitT
  if (open && lifeEnd !== null) open.end = Math.max(open.start, lifeEnd)

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
  for (const { seq, e } of items) {
    if ('conn' in e && typeof e.conn === 'string') track.conn ??= e.conn
    if (e.kind === 'thread-start') {
      track.startT = e.t
      track.marks.push({ kind: e.kind, t: e.t, side: 'server', bytes: 0, seq })
    } else if (e.kind === 'thread-end') {
      track.endT ??= e.t
      track.marks.push({ kind: e.kind, t: e.t, side: 'server', bytes: 0, seq })
    }
  }
  const { sleeps, open } = threadSleeps(items, (e) => e.src.pid === pid && e.src.tid === tid)
  track.blockedOn = open?.on ?? null
  if (open && track.endT !== null) open.end = Math.max(open.start, track.endT)
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
  /**
   * What the loop's one thread does: waiting in select() (sleeping on 'select'), running
   * (serving what was ready), or stuck in a blocking call for one connection (`conn`): a
   * sleep, a send to a client that does not read.
   */
  phases: Phase[]
  /** What it waits on now (at the end of what has been seen); null while it runs. */
  blockedOn: BlockReason | null
  /** The open phase's connection, if the thread is stuck in a call for one. */
  blockedFor: string | null
}

/**
 * An event loop (select / asyncio / reactor): its wake-ups, each with the size of its
 * ready set, and what its thread does between them (threadSleeps over its own events).
 */
export function deriveLoop(run: string, pid: number, tid: number, items: readonly Item[]): LoopTrack {
  const wakeups: Wakeup[] = []
  let maxReady = 0
  const own = (e: SockscopeEvent) => e.src.pid === pid && e.src.tid === tid && e.src.run === run
  for (const { seq, e } of items) {
    if (e.kind !== 'wakeup' || !own(e)) continue
    const readable = e.readable?.length ?? 0
    const writable = e.writable?.length ?? 0
    maxReady = Math.max(maxReady, readable + writable)
    wakeups.push({ t: e.t, seq, readable, writable, waitedUs: e.waitedUs ?? 0 })
  }
  const { sleeps, open } = threadSleeps(items, own)
  const phases: Phase[] = []
  const first = items.find((item) => own(item.e))
  if (first) pushAlive(phases, first.e.t, null, sleeps)
  return { key: `${run}:${pid}:${tid}`, run, pid, tid, wakeups, maxReady, phases, blockedOn: open?.on ?? null, blockedFor: open?.conn ?? null }
}

/** Whether a thread's events make it an event loop: it wakes up from select(), or waits in it. */
export const isLoopEvent = (e: SockscopeEvent): boolean => e.kind === 'wakeup' || (e.kind === 'block' && e.on === 'select')

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
