import type { EventKind, SockscopeEvent } from '../../servers/events.ts'

/** Every kind the event union knows, in a fixed order: a kind's code is its index. */
export const KINDS = [
  'listen', 'connect', 'queued', 'accept', 'recv', 'send', 'close', 'fork', 'exit', 'reap',
  'thread-start', 'thread-end', 'task-start', 'task-end', 'wakeup', 'block', 'unblock',
  'lock-wait', 'lock-acquire', 'lock-release', 'phase', 'error', 'proc', 'sockets', 'state',
] as const satisfies readonly EventKind[]

/** The code for kinds this build does not know yet (a newer host). */
export const OTHER_KIND = 255
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]))

export function kindCode(kind: string): number {
  return KIND_CODE.get(kind) ?? OTHER_KIND
}

export function kindName(code: number): string {
  return KINDS[code] ?? 'other'
}

export const ROLES = ['server', 'client', 'lab', 'os'] as const
const ROLE_CODE = new Map<string, number>(ROLES.map((r, i) => [r, i]))

/** Strings to small integers, so columns can hold them. */
export class Interner {
  private readonly ids = new Map<string, number>()
  readonly names: string[] = []

  id(name: string): number {
    let id = this.ids.get(name)
    if (id === undefined) {
      id = this.names.length
      this.ids.set(name, id)
      this.names.push(name)
    }
    return id
  }

  find(name: string): number {
    return this.ids.get(name) ?? -1
  }

  name(id: number): string | undefined {
    return this.names[id]
  }
}

export interface AppendResult {
  /** Sequence number (arrival order) of the batch's first event. */
  first: number
  count: number
  /** Position in time order from which the order changed (earlier positions are untouched). */
  orderFrom: number
}

/**
 * Every event the renderer has seen, in columns (typed arrays) rather than objects, so
 * the timeline, the log and the filters scan numbers and Vue never walks 100k objects.
 * Events are numbered by arrival (`seq`); `order` lists seqs by time, since a batch from
 * a process that was blocked can arrive after later events from others. The original
 * objects are kept for details (tooltips, log text), outside any reactivity.
 */
export class EventStore {
  size = 0
  t = new Float64Array(0)
  kind = new Uint8Array(0)
  role = new Uint8Array(0)
  run = new Uint16Array(0)
  pid = new Int32Array(0)
  tid = new Int32Array(0)
  /** Interned connection id, -1 for events without one. */
  conn = new Int32Array(0)
  /** Payload bytes of recv/send, else 0. */
  bytes = new Int32Array(0)
  /** seqs in time order (stable for equal times). */
  order = new Uint32Array(0)
  readonly objects: SockscopeEvent[] = []
  readonly conns = new Interner()
  readonly runs = new Interner()
  minT = Number.POSITIVE_INFINITY
  maxT = Number.NEGATIVE_INFINITY

  constructor(capacity = 4096) {
    this.grow(capacity)
  }

  get capacity(): number {
    return this.t.length
  }

  append(batch: readonly SockscopeEvent[]): AppendResult {
    const first = this.size
    if (batch.length === 0) return { first, count: 0, orderFrom: this.size }
    if (this.size + batch.length > this.capacity) this.grow(Math.max(this.capacity * 2, this.size + batch.length))
    for (const event of batch) {
      const i = this.size++
      this.t[i] = event.t
      this.kind[i] = kindCode(event.kind)
      this.role[i] = ROLE_CODE.get(event.src.role) ?? 255
      this.run[i] = this.runs.id(event.src.run)
      this.pid[i] = event.src.pid
      this.tid[i] = event.src.tid
      const conn = (event as { conn?: string }).conn
      this.conn[i] = typeof conn === 'string' ? this.conns.id(conn) : -1
      const bytes = (event as { bytes?: number }).bytes
      this.bytes[i] = typeof bytes === 'number' ? bytes : 0
      this.objects.push(event)
      if (event.t < this.minT) this.minT = event.t
      if (event.t > this.maxT) this.maxT = event.t
    }
    const orderFrom = this.insertOrder(first, batch.length)
    return { first, count: batch.length, orderFrom }
  }

  /** The event numbered `seq` (arrival order), whole, or undefined past the store. */
  event(seq: number): SockscopeEvent | undefined {
    return seq < this.size ? this.objects[seq] : undefined
  }

  /** The event at position `i` in time order. */
  at(i: number): SockscopeEvent {
    return this.event(this.order[i]!)!
  }

  clear(): void {
    this.size = 0
    this.objects.length = 0
    this.minT = Number.POSITIVE_INFINITY
    this.maxT = Number.NEGATIVE_INFINITY
  }

  /** Put seqs [first, first+count) into time order; returns where the order first changed. */
  private insertOrder(first: number, count: number): number {
    const end = first + count
    const batch = Array.from({ length: count }, (_, k) => first + k)
    batch.sort((a, b) => this.t[a]! - this.t[b]! || a - b)
    // Usually the whole batch is later than everything before it: append.
    const lastBefore = first > 0 ? this.t[this.order[first - 1]!]! : Number.NEGATIVE_INFINITY
    if (this.t[batch[0]!]! >= lastBefore) {
      for (let k = 0; k < count; k++) this.order[first + k] = batch[k]!
      return first
    }
    // Otherwise merge with the tail that is later than the batch's first event.
    const from = this.upperBound(this.t[batch[0]!]!, first)
    const tail = Array.from(this.order.subarray(from, first))
    let a = 0
    let b = 0
    for (let pos = from; pos < end; pos++) {
      const takeTail = b >= count || (a < tail.length && this.t[tail[a]!]! <= this.t[batch[b]!]!)
      this.order[pos] = takeTail ? tail[a++]! : batch[b++]!
    }
    return from
  }

  /** First position in order[0, n) whose time is greater than t. */
  upperBound(t: number, n = this.size): number {
    let lo = 0
    let hi = n
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.t[this.order[mid]!]! <= t) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private grow(capacity: number): void {
    const copy = <A extends Float64Array | Uint8Array | Uint16Array | Int32Array | Uint32Array>(old: A, make: (n: number) => A): A => {
      const next = make(capacity)
      next.set(old.subarray(0, this.size) as never)
      return next
    }
    this.t = copy(this.t, (n) => new Float64Array(n))
    this.kind = copy(this.kind, (n) => new Uint8Array(n))
    this.role = copy(this.role, (n) => new Uint8Array(n))
    this.run = copy(this.run, (n) => new Uint16Array(n))
    this.pid = copy(this.pid, (n) => new Int32Array(n))
    this.tid = copy(this.tid, (n) => new Int32Array(n))
    this.conn = copy(this.conn, (n) => new Int32Array(n))
    this.bytes = copy(this.bytes, (n) => new Int32Array(n))
    this.order = copy(this.order, (n) => new Uint32Array(n))
  }
}
