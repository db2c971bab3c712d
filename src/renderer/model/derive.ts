import type { BlockCause, BlockReason, CloseEvent, ExitEvent, ForkEvent, ProcEvent, ReapEvent, ReapPolicy, Role, SockscopeEvent, WakeupEvent } from '../../servers/events.ts'
import { type EventStore, FLAG_MORE, FLAG_ON_MASK, FLAG_TASK, kindName, ROLES, WAIT_ON } from './event-store.ts'

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

/** One track's events in time order, by index k: the fields derivations read, and the whole event on demand. */
export interface TrackEvents {
  readonly length: number
  seq(k: number): number
  t(k: number): number
  kind(k: number): string
  role(k: number): Role
  run(k: number): string
  pid(k: number): number
  tid(k: number): number
  /** The connection id, undefined for an event without one. */
  conn(k: number): string | undefined
  /** recv / send: payload bytes; else 0. */
  bytes(k: number): number
  /** block / unblock: what the wait is on; lock-wait / lock-acquire: 'lock'; else undefined. */
  on(k: number): BlockReason | undefined
  /** A wait whose waiter is a task (not its thread). */
  task(k: number): boolean
  /** A block on select: how many sockets it waits on, where it says. */
  sockets(k: number): number | undefined
  /** A block that may say more (a timeout, a cause, a limit): only then must it be decoded. */
  more(k: number): boolean
  /** A wake-up's ready set sizes and how long it waited. */
  wakeup(k: number): { readable: number; writable: number; waitedUs: number }
  /** The whole event (decoded, for the store: read it only where its other fields matter). */
  event(k: number): SockscopeEvent
  /** The track's instants at indices ks (in time order), as this source keeps them. */
  marks(ks: readonly number[]): Marks
}

/**
 * A track's instants (recv / send ticks, accepts, closes, forks…) read by index, so that a
 * connection with 100k recvs is 100k numbers, not 100k objects. `mark(i)` builds one Mark
 * (a tooltip's, a hit's).
 */
export interface Marks {
  readonly length: number
  t(i: number): number
  kind(i: number): string
  side(i: number): Side
  bytes(i: number): number
  seq(i: number): number
  mark(i: number): Mark
  /** First index whose t is at or after t0. */
  lowerBound(t0: number): number
}

/** Marks that are objects already (tests, tracks built from the OS's view). */
export class MarkArray implements Marks {
  readonly items: readonly Mark[]
  constructor(items: readonly Mark[]) {
    this.items = items
  }
  get length(): number {
    return this.items.length
  }
  t(i: number): number {
    return this.items[i]!.t
  }
  kind(i: number): string {
    return this.items[i]!.kind
  }
  side(i: number): Side {
    return this.items[i]!.side
  }
  bytes(i: number): number {
    return this.items[i]!.bytes
  }
  seq(i: number): number {
    return this.items[i]!.seq
  }
  mark(i: number): Mark {
    return this.items[i]!
  }
  lowerBound(t0: number): number {
    let lo = 0
    let hi = this.items.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.items[mid]!.t < t0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** Marks as seqs into the store's columns: 4 bytes a mark. The store only grows while they are used (a clear drops the tracks). */
export class StoreMarks implements Marks {
  readonly store: EventStore
  readonly seqs: Uint32Array
  constructor(store: EventStore, seqs: Uint32Array) {
    this.store = store
    this.seqs = seqs
  }
  get length(): number {
    return this.seqs.length
  }
  t(i: number): number {
    return this.store.t[this.seqs[i]!]!
  }
  kind(i: number): string {
    return kindName(this.store.kind[this.seqs[i]!]!)
  }
  /** The kind's code in the store (KINDS), for a renderer's switch without strings. */
  kindCode(i: number): number {
    return this.store.kind[this.seqs[i]!]!
  }
  side(i: number): Side {
    return ROLES[this.store.role[this.seqs[i]!]!] === 'client' ? 'client' : 'server'
  }
  bytes(i: number): number {
    return this.store.bytes[this.seqs[i]!]!
  }
  seq(i: number): number {
    return this.seqs[i]!
  }
  mark(i: number): Mark {
    return { kind: this.kind(i), t: this.t(i), side: this.side(i), bytes: this.bytes(i), seq: this.seqs[i]! }
  }
  lowerBound(t0: number): number {
    const { seqs } = this
    const t = this.store.t
    let lo = 0
    let hi = seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (t[seqs[mid]!]! < t0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** A track's events as objects with their seqs (tests, and anything that holds objects). */
export class ItemEvents implements TrackEvents {
  readonly items: readonly Item[]
  constructor(items: readonly Item[]) {
    this.items = items
  }
  get length(): number {
    return this.items.length
  }
  seq(k: number): number {
    return this.items[k]!.seq
  }
  t(k: number): number {
    return this.items[k]!.e.t
  }
  kind(k: number): string {
    return this.items[k]!.e.kind
  }
  role(k: number): Role {
    return this.items[k]!.e.src.role
  }
  run(k: number): string {
    return this.items[k]!.e.src.run
  }
  pid(k: number): number {
    return this.items[k]!.e.src.pid
  }
  tid(k: number): number {
    return this.items[k]!.e.src.tid
  }
  conn(k: number): string | undefined {
    const conn = (this.items[k]!.e as { conn?: unknown }).conn
    return typeof conn === 'string' ? conn : undefined
  }
  bytes(k: number): number {
    const bytes = (this.items[k]!.e as { bytes?: unknown }).bytes
    return typeof bytes === 'number' ? bytes : 0
  }
  on(k: number): BlockReason | undefined {
    const e = this.items[k]!.e
    if (e.kind === 'block' || e.kind === 'unblock') return e.on
    return e.kind === 'lock-wait' || e.kind === 'lock-acquire' ? 'lock' : undefined
  }
  task(k: number): boolean {
    return (this.items[k]!.e as { waiter?: string }).waiter === 'task'
  }
  sockets(k: number): number | undefined {
    return (this.items[k]!.e as { sockets?: number }).sockets
  }
  more(_k: number): boolean {
    return true
  }
  wakeup(k: number): { readable: number; writable: number; waitedUs: number } {
    const e = this.items[k]!.e as Partial<WakeupEvent>
    return { readable: e.readable?.length ?? 0, writable: e.writable?.length ?? 0, waitedUs: e.waitedUs ?? 0 }
  }
  event(k: number): SockscopeEvent {
    return this.items[k]!.e
  }
  marks(ks: readonly number[]): Marks {
    return new MarkArray(ks.map((k) => this.mark(k)))
  }
  private mark(k: number): Mark {
    const e = this.items[k]!.e
    return { kind: e.kind, t: e.t, side: sideOf(e), bytes: 'bytes' in e ? e.bytes : 0, seq: this.items[k]!.seq }
  }
}

/** A track's events as seqs into the store (a bucket of the TraceModel), read from its columns. */
export class StoreEvents implements TrackEvents {
  readonly store: EventStore
  /** seqs in time order; only [0, length) is read. */
  readonly seqs: Uint32Array
  readonly length: number
  constructor(store: EventStore, seqs: Uint32Array, length = seqs.length) {
    this.store = store
    this.seqs = seqs
    this.length = length
  }
  seq(k: number): number {
    return this.seqs[k]!
  }
  t(k: number): number {
    return this.store.t[this.seqs[k]!]!
  }
  kind(k: number): string {
    return kindName(this.store.kind[this.seqs[k]!]!)
  }
  role(k: number): Role {
    return (ROLES[this.store.role[this.seqs[k]!]!] ?? 'lab') as Role
  }
  run(k: number): string {
    return this.store.runs.names[this.store.run[this.seqs[k]!]!] ?? ''
  }
  pid(k: number): number {
    return this.store.pid[this.seqs[k]!]!
  }
  tid(k: number): number {
    return this.store.tid[this.seqs[k]!]!
  }
  conn(k: number): string | undefined {
    const id = this.store.conn[this.seqs[k]!]!
    return id < 0 ? undefined : this.store.conns.names[id]
  }
  bytes(k: number): number {
    return this.store.bytes[this.seqs[k]!]!
  }
  on(k: number): BlockReason | undefined {
    return WAIT_ON[this.store.flags[this.seqs[k]!]! & FLAG_ON_MASK]
  }
  task(k: number): boolean {
    return (this.store.flags[this.seqs[k]!]! & FLAG_TASK) !== 0
  }
  sockets(k: number): number | undefined {
    const seq = this.seqs[k]!
    // The column holds the count, or 0 for a block that named none: only then is the event read.
    const n = this.store.bytes[seq]!
    return n !== 0 ? n : (this.store.event(seq) as { sockets?: number }).sockets
  }
  more(k: number): boolean {
    return (this.store.flags[this.seqs[k]!]! & FLAG_MORE) !== 0
  }
  wakeup(k: number): { readable: number; writable: number; waitedUs: number } {
    return this.store.wakeup(this.seqs[k]!) ?? { readable: 0, writable: 0, waitedUs: 0 }
  }
  event(k: number): SockscopeEvent {
    return this.store.event(this.seqs[k]!)!
  }
  marks(ks: readonly number[]): Marks {
    const seqs = new Uint32Array(ks.length)
    for (let i = 0; i < ks.length; i++) seqs[i] = this.seqs[ks[i]!]!
    return new StoreMarks(this.store, seqs)
  }
}

const NO_MARKS: Marks = new MarkArray([])

/** Items (tests) or a store's track, as TrackEvents. */
function trackEvents(input: readonly Item[] | TrackEvents): TrackEvents {
  return Array.isArray(input) ? new ItemEvents(input as readonly Item[]) : (input as TrackEvents)
}

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
  /** Every instant on the lane (all but the kinds drawn as phases), in time order, read from the store. */
  ticks: Marks
  /**
   * The same instants as objects, built on first read: for readers that want an array
   * (an export, a test). A renderer reads `ticks`, which costs no object per mark.
   */
  readonly marks: Mark[]
  /** How many instants (the length of `ticks`). */
  markCount: number
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

export function deriveConnection(key: string, conn: string, input: readonly Item[] | TrackEvents): ConnectionTrack {
  return new ConnectionDeriver(key, conn).extend(trackEvents(input))
}

/**
 * One connection's track, derived as its events arrive: `extend` reads only the events
 * added since the last call (a live connection gains a few each frame, and re-reading its
 * 100k from the first every frame was most of a frame), and gives what deriveConnection
 * of all of them gives. Its events may only be appended: events inserted before the last
 * read (a batch late from another process) need a new deriver. Each call returns a new
 * track object (and new phases), so that what is cached per track stays right.
 */
export class ConnectionDeriver {
  private readonly key: string
  private readonly conn: string
  private readonly clientPort: number
  private readonly serverPort: number
  /** Events read so far. */
  private scanned = 0
  /** What the scan found: the track's fields but its phases and instants. */
  private readonly found: Omit<ConnectionTrack, 'marks' | 'phases' | 'ticks' | 'markCount' | 'blockedOn' | 'firstT' | 'lastT'> & { firstT: number; firstSeq: number }
  private readonly errorCode: Record<Side, string | null> = { server: null, client: null }
  private forkT: number | null = null
  private threadStartT: number | null = null
  private handlerFirstT: number | null = null
  /** Waits in the order they began; the first `settledBlocks` are drawn in `settled`. */
  private readonly blocks: Phase[] = []
  private readonly open = new Map<number | string, Phase>()
  /** What the client sent and the server read, in time order: whether bytes wait unread. */
  private readonly flow = new Flow()
  /** Indices (k) of the instants, and, read from a store, their seqs (a growing buffer; ticks are views of it). */
  private readonly markAt: number[] = []
  private markSeqs = new Uint32Array(16)
  /**
   * Phases that no later appended event can change: each wait that has ended, with the
   * work before it, from `settledFrom` (where the start left off) to `settledCursor`
   * (where the next phase starts).
   */
  private settled: Phase[] = []
  private settledBlocks = 0
  private settledCursor: number | null = null
  private settledFrom: number | null | undefined = undefined

  constructor(key: string, conn: string) {
    this.key = key
    this.conn = conn
    const { clientPort, serverPort } = parseConnId(conn)
    this.clientPort = clientPort
    this.serverPort = serverPort
    this.found = {
      key, conn, clientPort, serverPort,
      serverRun: null, clientRun: null, serverPid: null, childPid: null, threadId: null, task: null,
      firstT: 0, firstSeq: 0,
      connectT: null, queuedT: null, acceptT: null, serverCloseT: null, clientCloseT: null,
      serverClose: null, clientClose: null, errors: 0,
    }
  }

  /** How many of the track's events have been read. */
  get length(): number {
    return this.scanned
  }

  /** Read `ev` from where the last call stopped (ev: the same track's events, appended to); the track as of all of them. */
  extend(ev: TrackEvents): ConnectionTrack {
    const n = ev.length
    if (this.scanned === 0 && n > 0) {
      this.found.firstT = ev.t(0)
      this.found.firstSeq = ev.seq(0)
    }
    for (let k = this.scanned; k < n; k++) this.read(ev, k)
    this.scanned = n
    return this.build(ev)
  }

  private read(ev: TrackEvents, k: number): void {
    const track = this.found
    const t = ev.t(k)
    const kind = ev.kind(k)
    const side: Side = ev.role(k) === 'client' ? 'client' : 'server'
    if (side === 'server') track.serverRun ??= ev.run(k)
    else track.clientRun ??= ev.run(k)
    switch (kind) {
      case 'connect':
        track.connectT ??= t
        break
      case 'queued':
        track.queuedT ??= t
        break
      case 'accept':
        track.acceptT ??= t
        track.serverPid ??= ev.pid(k)
        break
      case 'fork':
        this.forkT ??= t
        track.childPid ??= (ev.event(k) as ForkEvent).childPid
        break
      case 'thread-start':
        this.threadStartT ??= t
        track.threadId ??= (ev.event(k) as { threadId: number }).threadId
        break
      case 'task-start':
        track.task ??= (ev.event(k) as { task: string }).task
        break
      case 'send':
        if (side === 'client') this.flow.sent(t, ev.bytes(k))
        break
      case 'recv':
        if (side === 'server') this.flow.read(t, ev.bytes(k))
        break
      case 'close': {
        const e = ev.event(k) as CloseEvent
        const seq = ev.seq(k)
        if (side === 'client') this.flow.closed(t)
        if (side === 'server') track.serverCloseT ??= t
        else track.clientCloseT ??= t
        if (side === 'server') track.serverClose ??= { t, by: e.by, reset: e.reset ?? null, error: this.errorCode.server, seq }
        else track.clientClose ??= { t, by: e.by, reset: e.reset ?? null, error: this.errorCode.client, seq }
        break
      }
      case 'error':
        track.errors++
        this.errorCode[side] ??= (ev.event(k) as { code: string }).code
        break
      case 'block':
      case 'lock-wait':
        if (side === 'server') {
          const on = ev.on(k)!
          const phase: Phase = { kind: 'blocked', start: t, end: null, on, seq: ev.seq(k) }
          if (ev.task(k)) phase.task = true
          this.open.set(waitKey(ev.pid(k), ev.tid(k), on), phase)
          this.blocks.push(phase)
        }
        break
      case 'unblock':
      case 'lock-acquire':
        if (side === 'server') {
          const id = waitKey(ev.pid(k), ev.tid(k), ev.on(k)!)
          const phase = this.open.get(id)
          if (phase) {
            phase.end = t
            this.open.delete(id)
          }
        }
        break
    }
    // The handler's own first sign of life: a forked child's or a thread's first event.
    if (side === 'server' && this.handlerFirstT === null) {
      if (track.childPid !== null && ev.pid(k) === track.childPid) this.handlerFirstT = t
    }
    if (!PHASE_ONLY.has(kind)) {
      this.markAt.push(k)
      if (ev instanceof StoreEvents) {
        if (this.markAt.length > this.markSeqs.length) {
          const grown = new Uint32Array(this.markSeqs.length * 2)
          grown.set(this.markSeqs)
          this.markSeqs = grown
        }
        this.markSeqs[this.markAt.length - 1] = ev.seq(k)
      }
    }
  }

  /** The track as of what has been read: the scan's fields, the instants, and the phases. */
  private build(ev: TrackEvents): ConnectionTrack {
    const n = this.scanned
    const { firstSeq, ...found } = this.found
    const fields: Omit<ConnectionTrack, 'marks'> = {
      ...found,
      serverClose: found.serverClose && { ...found.serverClose },
      clientClose: found.clientClose && { ...found.clientClose },
      firstT: n ? found.firstT : 0,
      lastT: n ? ev.t(n - 1) : 0,
      phases: [],
      ticks: NO_MARKS,
      markCount: 0,
      blockedOn: null,
    }
    // `marks` is built on first read. (Defined afterwards: an object literal with accessors
    // would be a slow, dictionary-mode object, and tracks are read in every frame.)
    let marks: Mark[] | undefined
    Object.defineProperty(fields, 'marks', {
      get() {
        if (!marks) {
          marks = []
          for (let i = 0; i < track.ticks.length; i++) marks.push(track.ticks.mark(i))
        }
        return marks
      },
      enumerable: true,
      configurable: true,
    })
    const track = fields as ConnectionTrack
    track.ticks = ev instanceof StoreEvents ? new StoreMarks(ev.store, this.markSeqs.subarray(0, this.markAt.length)) : ev.marks(this.markAt)
    track.markCount = track.ticks.length

    const lastSeq = n ? ev.seq(n - 1) : 0
    inferResets(track, this.errorCode)
    // The waits still open (in the order they began), and when the handler closed.
    const openBlocks = [...this.open.values()]
    track.blockedOn = openBlocks.at(-1)?.on ?? null
    const serviceEnd = track.serverCloseT
    // A block still open when the handler has closed ended with it (a stop, an error): on
    // the track's copy, so that the unblock that may still come ends the wait itself.
    const endOf = (block: Phase): number | null => (block.end === null && serviceEnd !== null ? Math.max(block.start, serviceEnd) : block.end)

    const queueStart = minDefined(track.connectT, track.queuedT)
    if (track.acceptT === null) {
      if (queueStart !== null) {
        const queueEnd = track.serverCloseT ?? track.clientCloseT
        if (queueEnd === null || queueEnd > queueStart) track.phases.push({ kind: 'queued', start: queueStart, end: queueEnd, seq: firstSeq })
      }
      return track
    }
    // The queue and the start: read again each time (a client's connect may come after the accept).
    const head: Phase[] = []
    if (queueStart !== null && track.acceptT > queueStart) head.push({ kind: 'queued', start: queueStart, end: track.acceptT, seq: firstSeq })
    let cursor: number | null = track.acceptT
    const spawnStart = this.forkT ?? (this.threadStartT !== null ? track.acceptT : null)
    if (spawnStart !== null) {
      const spawnEnd = this.forkT !== null ? (this.handlerFirstT ?? serviceEnd) : this.threadStartT
      head.push({ kind: 'spawn', start: Math.min(track.acceptT, spawnStart), end: spawnEnd, seq: firstSeq })
      cursor = spawnEnd
    }
    // The waits drawn so far hold while the work they follow starts where it did.
    if (cursor !== this.settledFrom) {
      this.settled = []
      this.settledBlocks = 0
      this.settledCursor = cursor
      this.settledFrom = cursor
    }
    // Waits that ended (by their unblock, not by the handler's close) are final, with the work before them.
    const blocks = this.blocks
    cursor = this.settledCursor
    let i = this.settledBlocks
    while (i < blocks.length && cursor !== null) {
      const block = blocks[i]!
      if (block.end === null || (i + 1 < blocks.length && blocks[i + 1]!.start < block.start)) break
      this.pushBlock(this.settled, block, cursor, block.end)
      cursor = Math.max(cursor, block.end)
      i++
    }
    this.settledBlocks = i
    this.settledCursor = cursor
    track.phases = head.concat(this.settled, this.tail(i, cursor, serviceEnd, lastSeq, endOf))
    return track
  }

  /** The phases from wait `from` on (those that later events may still change), starting at `cursor`. */
  private tail(from: number, cursor: number | null, serviceEnd: number | null, lastSeq: number, endOf: (block: Phase) => number | null): Phase[] {
    const out: Phase[] = []
    const rest = this.blocks.slice(from).sort((a, b) => a.start - b.start)
    for (const block of rest) {
      if (cursor === null) break
      const end = endOf(block)
      this.pushBlock(out, end === block.end ? block : { ...block, end }, cursor, end)
      cursor = end === null ? null : Math.max(cursor, end)
    }
    if (cursor !== null) {
      if (serviceEnd === null) out.push({ kind: 'working', start: cursor, end: null, seq: lastSeq })
      else if (serviceEnd > cursor) out.push({ kind: 'working', start: cursor, end: serviceEnd, seq: lastSeq })
    }
    return out
  }

  /** A wait and the work before it; a task's wait for bytes its client has sent is `ready` (waiting for its loop) from then on. */
  private pushBlock(out: Phase[], block: Phase, cursor: number, end: number | null): void {
    if (block.start > cursor) out.push({ kind: 'working', start: cursor, end: block.start, seq: block.seq })
    const ready = block.task && block.on === 'recv' ? this.flow.readyFrom(block.start, end) : null
    // Once its client has sent (or closed), the handler waits for its loop, not for bytes.
    const readyPhase = (start: number): Phase => ({ kind: 'ready', start, end, on: 'recv', task: true, seq: block.seq })
    if (ready === null) out.push(block)
    else if (ready <= block.start) out.push(readyPhase(block.start))
    else out.push({ ...block, end: ready }, readyPhase(ready))
  }
}

const WAIT_INDEX = new Map<string, number>(WAIT_ON.map((on, i) => [on, i]))

/** One thread's wait on one thing, as a number where it fits (no string per block). */
function waitKey(pid: number, tid: number, on: BlockReason): number | string {
  const i = WAIT_INDEX.get(on) ?? 7
  return tid >= 0 && tid < 65536 && pid >= 0 ? (pid * 65536 + tid) * 8 + i : `${pid}:${tid}:${on}`
}

/**
 * One connection's bytes from the client to the server, to tell when a server's socket
 * is readable although its handler still waits: the client has sent bytes the server has
 * not read (they wait in the kernel), or has closed (an EOF waits to be read).
 */
class Flow {
  /** Running totals at each time, as parallel number arrays (no object per send). */
  private readonly sendT: number[] = []
  private readonly sendTotal: number[] = []
  private readonly readT: number[] = []
  private readonly readTotal: number[] = []
  private closeT: number | null = null

  sent(t: number, bytes: number): void {
    if (bytes <= 0) return
    this.sendTotal.push((this.sendTotal.at(-1) ?? 0) + bytes)
    this.sendT.push(t)
  }

  read(t: number, bytes: number): void {
    this.readTotal.push((this.readTotal.at(-1) ?? 0) + bytes)
    this.readT.push(t)
  }

  closed(t: number): void {
    this.closeT ??= t
  }

  /** When, in a wait for bytes from `start` to `end`, the socket was readable: at its start, later, or never (null). */
  readyFrom(start: number, end: number | null): number | null {
    const sentUpTo = upperBound(this.sendT, start)
    const readUpTo = upperBound(this.readT, start)
    const sentBefore = sentUpTo === 0 ? 0 : this.sendTotal[sentUpTo - 1]!
    const readBefore = readUpTo === 0 ? 0 : this.readTotal[readUpTo - 1]!
    if (sentBefore > readBefore || (this.closeT !== null && this.closeT <= start)) return start
    const next = this.sendT[sentUpTo] ?? null
    const first = next === null ? this.closeT : this.closeT === null || this.closeT <= start ? next : Math.min(next, this.closeT)
    return first !== null && first > start && (end === null || first < end) ? first : null
  }
}

/** The number of entries of a sorted array at or before t. */
function upperBound(times: readonly number[], t: number): number {
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (times[mid]! <= t) lo = mid + 1
    else hi = mid
  }
  return lo
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
export function threadSleeps(input: readonly Item[] | TrackEvents, own: (k: number) => boolean): { sleeps: Phase[]; open: Phase | null } {
  const ev = trackEvents(input)
  const sleeps: Phase[] = []
  let open: Phase | null = null
  const end = (t: number) => {
    if (open) open.end = Math.max(open.start, t)
    open = null
  }
  for (let k = 0; k < ev.length; k++) {
    const kind = ev.kind(k)
    // Only waits and wake-ups change what a thread does: the rest is not even looked at.
    if (kind !== 'block' && kind !== 'lock-wait' && kind !== 'unblock' && kind !== 'lock-acquire' && kind !== 'wakeup') continue
    if (!own(k)) continue
    switch (kind) {
      case 'block':
      case 'lock-wait': {
        if (ev.task(k)) break
        const t = ev.t(k)
        end(t)
        const on = ev.on(k)!
        const phase: Phase = { kind: 'sleeping', start: t, end: null, on, seq: ev.seq(k) }
        const conn = ev.conn(k)
        if (conn !== undefined) phase.conn = conn
        if (kind === 'block' && on === 'select') {
          const sockets = ev.sockets(k)
          if (sockets !== undefined) phase.sockets = sockets
        }
        if (kind === 'block' && ev.more(k)) {
          const e = ev.event(k) as Extract<SockscopeEvent, { kind: 'block' }>
          if (on === 'select' && e.timeoutMs !== undefined) phase.timeoutMs = e.timeoutMs
          if (e.cause !== undefined) {
            phase.cause = e.cause
            if (e.limit !== undefined) phase.limit = e.limit
          }
        }
        open = phase
        sleeps.push(phase)
        break
      }
      case 'unblock':
      case 'lock-acquire': {
        if (!ev.task(k) && open?.on === ev.on(k)) end(ev.t(k))
        break
      }
      case 'wakeup':
        if (open?.on === 'select') end(ev.t(k))
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
export function deriveProcess(pid: number, input: readonly Item[] | TrackEvents): ProcessTrack {
  const ev = trackEvents(input)
  const n = ev.length
  const track: ProcessTrack = { ...blankProcessTrack(pid), lastT: n ? ev.t(n - 1) : 0 }
  // The process's main thread: what a single-threaded process does, and what its lane shows.
  const { sleeps, open } = threadSleeps(ev, (k) => ev.pid(k) === pid && ev.tid(k) === 0 && ev.kind(k) !== 'proc')
  let forkSeq = n ? ev.seq(0) : 0
  let seenOwn = false
  for (let k = 0; k < n; k++) {
    const kind = ev.kind(k)
    // Once its first own event is read, a process's recvs, sends and waits change nothing here (threadSleeps read the waits).
    if (seenOwn && !PROCESS_KINDS.has(kind)) continue
    const own = ev.pid(k) === pid
    const t = ev.t(k)
    const seq = ev.seq(k)
    if (kind === 'proc') {
      const e = ev.event(k) as ProcEvent
      if (e.pid === pid) track.os = e
      continue
    }
    if (kind === 'fork' || kind === 'exit' || kind === 'reap') {
      // A parent's fork, exit or reap of this process (its childPid): its own life's edges.
      const e = ev.event(k) as ForkEvent | ExitEvent | ReapEvent
      if (e.childPid === pid) {
        if (e.kind === 'fork') {
          track.role = 'child'
          track.ppid = ev.pid(k)
          track.run = ev.run(k)
          track.conn = e.conn
          track.startT ??= t
          forkSeq = seq
        } else if (e.kind === 'exit') {
          track.exitT ??= t
          track.exitCode = e.code
          track.exitSignal = e.signal
        } else {
          track.reapT ??= t
          track.reapPolicy = e.policy
          track.reapTrigger = e.trigger
          track.reapModelled = e.modelled
        }
        track.marks.push({ kind: e.kind, t, side: 'server', bytes: 0, seq })
        continue
      }
    }
    if (!own) continue
    seenOwn = true
    if (track.role === 'other') {
      const role = ev.role(k)
      track.role = role === 'client' ? 'client' : role === 'server' ? 'server' : role === 'lab' ? 'lab' : 'other'
    }
    track.run ??= ev.run(k)
    track.firstOwnT ??= t
    track.startT ??= t
    switch (kind) {
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
        track.marks.push({ kind, t, side: ev.role(k) === 'client' ? 'client' : 'server', bytes: 0, seq })
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

/** The kinds deriveProcess reads past a process's first own event. */
const PROCESS_KINDS = new Set(['proc', 'fork', 'exit', 'reap', 'thread-start', 'thread-end', 'listen', 'accept', 'error'])

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
export function deriveThread(pid: number, tid: number, input: readonly Item[] | TrackEvents): ThreadTrack {
  const ev = trackEvents(input)
  const n = ev.length
  const track: ThreadTrack = {
    key: `${pid}:${tid}`,
    pid,
    tid,
    run: n ? ev.run(0) : '',
    conn: null,
    startT: n ? ev.t(0) : 0,
    endT: null,
    blockedOn: null,
    phases: [],
    marks: [],
  }
  for (let k = 0; k < n; k++) {
    if (track.conn === null) track.conn = ev.conn(k) ?? null
    const kind = ev.kind(k)
    if (kind === 'thread-start') {
      track.startT = ev.t(k)
      track.marks.push({ kind, t: ev.t(k), side: 'server', bytes: 0, seq: ev.seq(k) })
    } else if (kind === 'thread-end') {
      track.endT ??= ev.t(k)
      track.marks.push({ kind, t: ev.t(k), side: 'server', bytes: 0, seq: ev.seq(k) })
    }
  }
  const { sleeps, open } = threadSleeps(ev, (k) => ev.pid(k) === pid && ev.tid(k) === tid)
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
export function deriveLoop(run: string, pid: number, tid: number, input: readonly Item[] | TrackEvents): LoopTrack {
  const ev = trackEvents(input)
  const wakeups: Wakeup[] = []
  let maxReady = 0
  const own = (k: number) => ev.pid(k) === pid && ev.tid(k) === tid && ev.run(k) === run
  let first = -1
  for (let k = 0; k < ev.length; k++) {
    if (first < 0 && own(k)) first = k
    if (ev.kind(k) !== 'wakeup' || !own(k)) continue
    const { readable, writable, waitedUs } = ev.wakeup(k)
    maxReady = Math.max(maxReady, readable + writable)
    wakeups.push({ t: ev.t(k), seq: ev.seq(k), readable, writable, waitedUs })
  }
  const { sleeps, open } = threadSleeps(ev, own)
  const phases: Phase[] = []
  if (first >= 0) pushAlive(phases, ev.t(first), null, sleeps)
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
