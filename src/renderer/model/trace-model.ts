import type { SockscopeEvent } from '../../servers/events.ts'
import {
  type ConnectionTrack,
  deriveConnection,
  deriveLoop,
  deriveProcess,
  deriveThread,
  isLoopEvent,
  type Item,
  type LoopTrack,
  type ProcessTrack,
  type ServerInfo,
  type ThreadTrack,
} from './derive.ts'
import type { AppendResult, EventStore } from './event-store.ts'
import { OsTable } from './os-view.ts'

/** What a loop's track is made of: its wake-ups and its thread's waits. */
const LOOP_KINDS = new Set<SockscopeEvent['kind']>(['wakeup', 'block', 'unblock', 'lock-wait', 'lock-acquire'])

class Bucket<T> {
  items: Item[] = []
  dirty = true
  derived: T | undefined

  add(item: Item): void {
    // Batches mostly arrive in time order: insert from the end.
    let i = this.items.length
    while (i > 0 && this.items[i - 1]!.e.t > item.e.t) i--
    this.items.splice(i, 0, item)
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
 */
export class TraceModel {
  readonly store: EventStore
  private conns = new Map<string, Bucket<ConnectionTrack>>()
  private procs = new Map<number, Bucket<ProcessTrack>>()
  private threadBuckets = new Map<string, Bucket<ThreadTrack> & { pid: number; tid: number }>()
  private loopBuckets = new Map<string, Bucket<LoopTrack> & { run: string; pid: number; tid: number }>()
  private serverInfo = new Map<string, ServerInfo>()
  /** What the kernel lists, by pid: the sampler reports changes only, so this is a state, not a history. */
  readonly os = new OsTable()
  /** Bumped whenever a track may have changed. */
  version = 0

  constructor(store: EventStore) {
    this.store = store
  }

  /** Sort the events of one append into their tracks. */
  ingest(result: AppendResult): void {
    for (let seq = result.first; seq < result.first + result.count; seq++) this.route({ seq, e: this.store.event(seq)! })
    if (result.count > 0) this.version++
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
    this.version++
  }

  /** Every connection, in order of first appearance. */
  connections(): ConnectionTrack[] {
    const out: ConnectionTrack[] = []
    for (const [key, bucket] of this.conns) out.push(this.derive(bucket, () => deriveConnection(key, key, bucket.items)))
    return out.sort((a, b) => a.firstT - b.firstT)
  }

  connection(key: string): ConnectionTrack | undefined {
    const bucket = this.conns.get(key)
    return bucket && this.derive(bucket, () => deriveConnection(key, key, bucket.items))
  }

  processes(): ProcessTrack[] {
    const out: ProcessTrack[] = []
    for (const [pid, bucket] of this.procs) out.push(this.derive(bucket, () => deriveProcess(pid, bucket.items)))
    return out.sort((a, b) => (a.startT ?? a.lastT) - (b.startT ?? b.lastT))
  }

  process(pid: number): ProcessTrack | undefined {
    const bucket = this.procs.get(pid)
    return bucket && this.derive(bucket, () => deriveProcess(pid, bucket.items))
  }

  threads(): ThreadTrack[] {
    const out: ThreadTrack[] = []
    for (const bucket of this.threadBuckets.values()) out.push(this.derive(bucket, () => deriveThread(bucket.pid, bucket.tid, bucket.items)))
    return out.sort((a, b) => a.startT - b.startT)
  }

  loops(): LoopTrack[] {
    const out: LoopTrack[] = []
    for (const bucket of this.loopBuckets.values()) out.push(this.derive(bucket, () => deriveLoop(bucket.run, bucket.pid, bucket.tid, bucket.items)))
    return out
  }

  servers(): ServerInfo[] {
    return [...this.serverInfo.values()].sort((a, b) => a.listenT - b.listenT)
  }

  private derive<T>(bucket: Bucket<T>, make: () => T): T {
    if (bucket.dirty || bucket.derived === undefined) {
      bucket.derived = make()
      bucket.dirty = false
    }
    return bucket.derived
  }

  private route(item: Item): void {
    const e: SockscopeEvent = item.e
    const conn = (e as { conn?: unknown }).conn
    if (typeof conn === 'string') this.bucket(this.conns, conn, () => new Bucket()).add(item)
    if (e.kind === 'proc') {
      this.os.apply(e)
      this.bucket(this.procs, e.pid, () => new Bucket()).add(item)
      return
    }
    if (e.kind === 'sockets') {
      this.os.apply(e)
      return
    }
    this.bucket(this.procs, e.src.pid, () => new Bucket()).add(item)
    const child = (e as { childPid?: unknown }).childPid
    if (typeof child === 'number' && child !== e.src.pid) this.bucket(this.procs, child, () => new Bucket()).add(item)
    if (e.src.tid !== 0) {
      const key = `${e.src.pid}:${e.src.tid}`
      this.bucket(this.threadBuckets, key, () => Object.assign(new Bucket<ThreadTrack>(), { pid: e.src.pid, tid: e.src.tid })).add(item)
    }
    // (A task's waits are its connection's, never its loop's: they stay out.)
    if (LOOP_KINDS.has(e.kind) && e.src.role === 'server' && (e as { waiter?: string }).waiter !== 'task') {
      const key = `${e.src.run}:${e.src.pid}:${e.src.tid}`
      const loop = this.loopBuckets.get(key)
      if (loop) loop.add(item)
      else if (isLoopEvent(e)) this.bucket(this.loopBuckets, key, () => Object.assign(new Bucket<LoopTrack>(), { run: e.src.run, pid: e.src.pid, tid: e.src.tid })).add(item)
    }
    if (e.kind === 'listen') {
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
