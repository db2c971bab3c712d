import type { SockscopeEvent } from '../../servers/events.ts'
import {
  ConnectionDeriver,
  type ConnectionTrack,
  deriveLoop,
  deriveProcess,
  deriveThread,
  type LoopTrack,
  type ProcessTrack,
  type ServerInfo,
  StoreEvents,
  type ThreadTrack,
} from './derive.ts'
import { type AppendResult, type EventStore, FLAG_TASK, kindCode } from './event-store.ts'
import { OsTable } from './os-view.ts'

const K = {
  proc: kindCode('proc'),
  sockets: kindCode('sockets'),
  listen: kindCode('listen'),
  fork: kindCode('fork'),
  exit: kindCode('exit'),
  reap: kindCode('reap'),
  wakeup: kindCode('wakeup'),
  block: kindCode('block'),
}
/** What a loop's track is made of: its wake-ups and its thread's waits. */
const LOOP_KINDS = new Set<number>(['wakeup', 'block', 'unblock', 'lock-wait', 'lock-acquire'].map(kindCode))
/** Kinds whose `childPid` names another process, whose track they also reach. */
const CHILD_KINDS = new Set<number>([K.fork, K.exit, K.reap])
const SERVER_ROLE = 0

/** One thread (of one run), as a number where it fits: pid < 2^22, tid < 2^16, run < 2^15. */
function threadKey(pid: number, tid: number, run = 0): number | string {
  return pid >= 0 && pid < 2 ** 22 && tid >= 0 && tid < 2 ** 16 && run < 2 ** 15 ? (run * 2 ** 22 + pid) * 2 ** 16 + tid : `${run}:${pid}:${tid}`
}

/** A track's events: seqs in time order (4 bytes each, no object), and the track derived from them. */
class Bucket<T> {
  seqs = new Uint32Array(8)
  count = 0
  dirty = true
  /** The first index added since the track was last derived (an event late in time lands before the end). */
  dirtyFrom = 0
  derived: T | undefined

  add(seq: number, t: Float64Array): void {
    if (this.count === this.seqs.length) {
      const next = new Uint32Array(this.seqs.length * 2)
      next.set(this.seqs)
      this.seqs = next
    }
    // Batches mostly arrive in time order: insert from the end.
    let i = this.count
    while (i > 0 && t[this.seqs[i - 1]!]! > t[seq]!) i--
    if (i < this.count) this.seqs.copyWithin(i + 1, i, this.count)
    this.seqs[i] = seq
    this.count++
    if (!this.dirty || i < this.dirtyFrom) this.dirtyFrom = i
    this.dirty = true
  }
}

/**
 * The event store sorted into tracks (a connection, a process, a thread, an event loop),
 * each derived again only when new events reached it. What reaches a track:
 *  - a connection: every event carrying its id, from both sides;
 *  - a process: its own events, and its parent's fork / exit / reap of it;
 *  - a thread (tid ≠ 0): its own events;
 *  - a loop: one thread that waits in select() or wakes from it, from its first such event
 *    on: its wake-ups and its waits (block / unblock, lock waits);
 *  - the OS table: every `proc` and `sockets` event (the sampler's view, by pid).
 * Routing reads the store's columns; only events that name another process (a fork's
 * child), the OS's readings and listens are decoded. The lists (connections(),
 * processes()…) are built once per version: asking again between two ingests is free.
 */
export class TraceModel {
  readonly store: EventStore
  private conns = new Map<number, Bucket<ConnectionTrack> & { deriver?: ConnectionDeriver }>()
  private procs = new Map<number, Bucket<ProcessTrack>>()
  /** By threadKey / loopKey: numbers, so that routing a million events builds no string per event. */
  private threadBuckets = new Map<number | string, Bucket<ThreadTrack> & { pid: number; tid: number }>()
  private loopBuckets = new Map<number | string, Bucket<LoopTrack> & { run: string; pid: number; tid: number }>()
  private serverInfo = new Map<string, ServerInfo>()
  /** What the kernel lists, by pid: the sampler reports changes only, so this is a state, not a history. */
  readonly os = new OsTable()
  /** Bumped whenever a track may have changed. */
  version = 0
  private readonly lists = new Map<string, { version: number; value: unknown }>()

  constructor(store: EventStore) {
    this.store = store
  }

  /** Sort the events of one append into their tracks. */
  ingest(result: AppendResult): void {
    for (let seq = result.first; seq < result.first + result.count; seq++) this.route(seq)
    if (result.count > 0) this.version++
  }

  /**
   * Sort every event of the store into its tracks, in time order: a store adopted whole
   * (a recording the parse worker built), whose arrival order may be a file's, not time's.
   * In time order, each event lands at the end of its tracks.
   */
  ingestAll(): void {
    const order = this.store.order
    for (let i = 0, n = this.store.size; i < n; i++) this.route(order[i]!)
    this.version++
  }

  /**
   * Forget the events. `keepLiveOs`: keep the processes the kernel still lists (a cleared
   * timeline: the sampler would not report them again until they change).
   */
  reset(options: { keepLiveOs?: boolean } = {}): void {
    if (options.keepLiveOs) this.os.prune()
    else this.os.clear()
    this.conns.clear()
    this.procs.clear()
    this.threadBuckets.clear()
    this.loopBuckets.clear()
    this.serverInfo.clear()
    this.lists.clear()
    this.version++
  }

  /** Every connection, in order of first appearance. */
  connections(): ConnectionTrack[] {
    return this.list('connections', () => {
      const out: ConnectionTrack[] = []
      for (const [id, bucket] of this.conns) out.push(this.deriveConnection(id, bucket))
      return out.sort((a, b) => a.firstT - b.firstT)
    })
  }

  connection(key: string): ConnectionTrack | undefined {
    const id = this.store.conns.find(key)
    const bucket = this.conns.get(id)
    return bucket && this.deriveConnection(id, bucket)
  }

  processes(): ProcessTrack[] {
    return this.list('processes', () => {
      const out: ProcessTrack[] = []
      for (const [pid, bucket] of this.procs) out.push(this.derive(bucket, (events) => deriveProcess(pid, events)))
      return out.sort((a, b) => (a.startT ?? a.lastT) - (b.startT ?? b.lastT))
    })
  }

  process(pid: number): ProcessTrack | undefined {
    const bucket = this.procs.get(pid)
    return bucket && this.derive(bucket, (events) => deriveProcess(pid, events))
  }

  threads(): ThreadTrack[] {
    return this.list('threads', () => {
      const out: ThreadTrack[] = []
      for (const bucket of this.threadBuckets.values()) out.push(this.derive(bucket, (events) => deriveThread(bucket.pid, bucket.tid, events)))
      return out.sort((a, b) => a.startT - b.startT)
    })
  }

  loops(): LoopTrack[] {
    return this.list('loops', () => {
      const out: LoopTrack[] = []
      for (const bucket of this.loopBuckets.values()) out.push(this.derive(bucket, (events) => deriveLoop(bucket.run, bucket.pid, bucket.tid, events)))
      return out
    })
  }

  servers(): ServerInfo[] {
    return this.list('servers', () => [...this.serverInfo.values()].sort((a, b) => a.listenT - b.listenT))
  }

  /** A list as of this version: the same array until the next ingest or reset (callers must not change it). */
  private list<T>(name: string, make: () => T[]): T[] {
    const cached = this.lists.get(name)
    if (cached && cached.version === this.version) return cached.value as T[]
    const value = make()
    this.lists.set(name, { version: this.version, value })
    return value
  }

  /** A connection that only gained events at its end is extended from where its deriver stopped, not derived again. */
  private deriveConnection(id: number, bucket: Bucket<ConnectionTrack> & { deriver?: ConnectionDeriver }): ConnectionTrack {
    return this.derive(bucket, (events) => {
      if (!bucket.deriver || bucket.dirtyFrom < bucket.deriver.length) {
        const key = this.store.conns.name(id)!
        bucket.deriver = new ConnectionDeriver(key, key)
      }
      return bucket.deriver.extend(events)
    })
  }

  private derive<T>(bucket: Bucket<T>, make: (events: StoreEvents) => T): T {
    if (bucket.dirty || bucket.derived === undefined) {
      bucket.derived = make(new StoreEvents(this.store, bucket.seqs, bucket.count))
      bucket.dirty = false
    }
    return bucket.derived
  }

  private route(seq: number): void {
    const s = this.store
    const kind = s.kind[seq]!
    const conn = s.conn[seq]!
    if (conn >= 0) this.bucket(this.conns, conn, () => new Bucket()).add(seq, s.t)
    if (kind === K.proc || kind === K.sockets) {
      const e = s.event(seq)!
      this.os.apply(e as Extract<SockscopeEvent, { kind: 'proc' | 'sockets' }>)
      if (e.kind === 'proc') this.bucket(this.procs, e.pid, () => new Bucket()).add(seq, s.t)
      return
    }
    const pid = s.pid[seq]!
    const tid = s.tid[seq]!
    this.bucket(this.procs, pid, () => new Bucket()).add(seq, s.t)
    if (CHILD_KINDS.has(kind)) {
      const child = (s.event(seq) as { childPid?: unknown }).childPid
      if (typeof child === 'number' && child !== pid) this.bucket(this.procs, child, () => new Bucket()).add(seq, s.t)
    }
    if (tid !== 0) {
      const key = threadKey(pid, tid)
      let bucket = this.threadBuckets.get(key)
      if (!bucket) this.threadBuckets.set(key, (bucket = Object.assign(new Bucket<ThreadTrack>(), { pid, tid })))
      bucket.add(seq, s.t)
    }
    // (A task's waits are its connection's, never its loop's: they stay out.)
    if (LOOP_KINDS.has(kind) && s.role[seq] === SERVER_ROLE && !(s.flags[seq]! & FLAG_TASK)) {
      const key = threadKey(pid, tid, s.run[seq]!)
      const loop = this.loopBuckets.get(key)
      if (loop) loop.add(seq, s.t)
      else if (kind === K.wakeup || (kind === K.block && s.waitOn(seq) === 'select'))
        this.loopBuckets.set(key, Object.assign(new Bucket<LoopTrack>(), { run: s.runs.names[s.run[seq]!]!, pid, tid })).get(key)!.add(seq, s.t)
    }
    if (kind === K.listen) {
      const e = s.event(seq) as Extract<SockscopeEvent, { kind: 'listen' }>
      const known = this.serverInfo.get(e.src.run)
      if (known) {
        if (!known.ports.includes(e.port)) known.ports.push(e.port)
      } else this.serverInfo.set(e.src.run, { run: e.src.run, pid: e.src.pid, model: e.model, app: e.app, host: e.host, ports: [e.port], listenT: e.t })
    }
  }

  private bucket<K, B>(map: Map<K, B>, key: K, make: () => B): B {
    let bucket = map.get(key)
    if (!bucket) {
      bucket = make()
      map.set(key, bucket)
    }
    return bucket
  }
}
