import type { BlockReason, EventKind, EventSource, Role, SockscopeEvent } from '../../servers/events.ts'

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

/** What a wait is on, as a small code in the `flags` column (block, unblock, lock-wait, lock-acquire). */
export const WAIT_ON: readonly BlockReason[] = ['recv', 'send', 'sleep', 'accept', 'lock', 'select']
const WAIT_ON_CODE = new Map<string, number>(WAIT_ON.map((on, i) => [on, i]))
/** `flags`: the low 3 bits are the wait's WAIT_ON code (7: none or unknown). */
export const FLAG_ON_MASK = 0b0000_0111
const FLAG_ON_NONE = 7
/** `flags`: the wait is a task's (waiter 'task'), not its thread's. */
export const FLAG_TASK = 0b0000_1000
/** `flags`: a recv or send of the usual shape, whole in the columns and its preview (no detail text). */
const FLAG_IO = 0b0001_0000

const NO_DETAIL = 0xffff_ffff
const RECV = KIND_CODE.get('recv')!
const SEND = KIND_CODE.get('send')!
const BLOCK = KIND_CODE.get('block')!
const UNBLOCK = KIND_CODE.get('unblock')!
const LOCK_WAIT = KIND_CODE.get('lock-wait')!
const LOCK_ACQUIRE = KIND_CODE.get('lock-acquire')!
/** Short texts are written once and shared (previews like `Hello`, `{"on":"recv","waiter":"task"}`); the table of them is bounded. */
const SHARED_TEXT_MAX_CHARS = 96
const SHARED_TEXT_MAX_ENTRIES = 20_000

/**
 * Texts in one growable byte buffer: each a varint length and its UTF-8 bytes, named by
 * its offset. No JS string stays alive per event; a text is decoded when asked for.
 */
class TextBuffer {
  bytes = new Uint8Array(1 << 16)
  size = 0
  private readonly shared = new Map<string, number>()
  private readonly encoder = new TextEncoder()
  private readonly decoder = new TextDecoder()

  add(text: string): number {
    const short = text.length <= SHARED_TEXT_MAX_CHARS
    if (short) {
      const known = this.shared.get(text)
      if (known !== undefined) return known
    }
    // UTF-16 to UTF-8 is at most 3 bytes a unit, and the length takes at most 5.
    this.reserve(text.length * 3 + 5)
    const at = this.size
    let ascii = true
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) ascii = false
    let length: number
    if (ascii) {
      length = text.length
      let p = this.writeVarint(at, length)
      for (let i = 0; i < length; i++) this.bytes[p++] = text.charCodeAt(i)
      this.size = p
    } else {
      // Write past a 5-byte hole, then move the bytes up behind the real length.
      const written = this.encoder.encodeInto(text, this.bytes.subarray(at + 5)).written
      length = written
      const p = this.writeVarint(at, length)
      this.bytes.copyWithin(p, at + 5, at + 5 + written)
      this.size = p + written
    }
    if (short) {
      if (this.shared.size >= SHARED_TEXT_MAX_ENTRIES) this.shared.clear()
      this.shared.set(text, at)
    }
    return at
  }

  text(at: number): string {
    let length = 0
    let shift = 0
    let p = at
    for (;;) {
      const b = this.bytes[p++]!
      length |= (b & 0x7f) << shift
      if (b < 0x80) break
      shift += 7
    }
    const end = p + length
    // Short ASCII (most previews) is quicker to build by hand than through the decoder.
    if (length <= 32) {
      let out = ''
      for (let i = p; i < end; i++) {
        const b = this.bytes[i]!
        if (b > 0x7f) return this.decoder.decode(this.bytes.subarray(p, end))
        out += String.fromCharCode(b)
      }
      return out
    }
    return this.decoder.decode(this.bytes.subarray(p, end))
  }

  clear(): void {
    this.size = 0
    this.shared.clear()
  }

  private writeVarint(at: number, n: number): number {
    let p = at
    while (n >= 0x80) {
      this.bytes[p++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    this.bytes[p++] = n
    return p
  }

  private reserve(more: number): void {
    if (this.size + more <= this.bytes.length) return
    let capacity = this.bytes.length * 2
    while (capacity < this.size + more) capacity *= 2
    const next = new Uint8Array(capacity)
    next.set(this.bytes.subarray(0, this.size))
    this.bytes = next
  }
}

/** Whether a recv / send has exactly the usual fields, so the columns and its preview rebuild it whole. */
function isPlainIo(event: SockscopeEvent): boolean {
  const e = event as unknown as Record<string, unknown>
  if (typeof e.conn !== 'string' || typeof e.bytes !== 'number' || typeof e.preview !== 'string') return false
  let keys = 0
  for (const _ in e) keys++
  if (keys !== 6) return false
  const src = e.src as Record<string, unknown>
  let srcKeys = 0
  for (const _ in src) srcKeys++
  return srcKeys === 4 && typeof src.role === 'string' && typeof src.run === 'string' && typeof src.pid === 'number' && typeof src.tid === 'number'
}

/**
 * Every event the renderer has seen, in columns (typed arrays) and one byte buffer, never
 * as one object per event: the timeline, the log and the filters scan numbers, and a
 * million events cost tens of MB, not a GB. Events are numbered by arrival (`seq`);
 * `order` lists seqs by time, since a batch from a process that was blocked can arrive
 * after later events from others.
 *
 * A recv or send is its columns and its preview (a text offset in `detail`); any other
 * event keeps the fields the columns do not hold as JSON text in the buffer. `event(seq)`
 * rebuilds the whole event from these, on demand (a tooltip, a log row): callers must not
 * expect the same object twice.
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
  /** A wait's WAIT_ON code and FLAG_TASK (block, unblock, lock-wait, lock-acquire), for derivations that must not decode. */
  flags = new Uint8Array(0)
  /** Offset of the event's text in the buffer: a recv's or send's preview, else its other fields as JSON (none: 0xffffffff). */
  detail = new Uint32Array(0)
  /** seqs in time order (stable for equal times). */
  order = new Uint32Array(0)
  readonly conns = new Interner()
  readonly runs = new Interner()
  minT = Number.POSITIVE_INFINITY
  maxT = Number.NEGATIVE_INFINITY
  private readonly texts = new TextBuffer()

  constructor(capacity = 4096) {
    this.grow(capacity)
  }

  get capacity(): number {
    return this.t.length
  }

  /** Bytes the store holds: its columns (at their capacity) and its text buffer. */
  get byteSize(): number {
    const columns = [this.t, this.kind, this.role, this.run, this.pid, this.tid, this.conn, this.bytes, this.flags, this.detail, this.order]
    return columns.reduce((sum, c) => sum + c.byteLength, 0) + this.texts.bytes.byteLength
  }

  append(batch: readonly SockscopeEvent[]): AppendResult {
    const first = this.size
    if (batch.length === 0) return { first, count: 0, orderFrom: this.size }
    if (this.size + batch.length > this.capacity) this.grow(Math.max(this.capacity * 2, this.size + batch.length))
    // The last source seen: a batch comes from one process, so most events repeat it.
    let lastSrc: EventSource | undefined
    let lastRole = 255
    let lastRun = 0
    let lastConnName: string | undefined
    let lastConn = -1
    for (const event of batch) {
      const i = this.size++
      const t = event.t
      this.t[i] = t
      const kind = kindCode(event.kind)
      this.kind[i] = kind
      const src = event.src
      if (src !== lastSrc) {
        lastSrc = src
        lastRole = ROLE_CODE.get(src.role) ?? 255
        lastRun = this.runs.id(src.run)
      }
      this.role[i] = lastRole
      this.run[i] = lastRun
      this.pid[i] = src.pid
      this.tid[i] = src.tid
      const conn = (event as { conn?: unknown }).conn
      if (typeof conn === 'string') {
        if (conn !== lastConnName) {
          lastConnName = conn
          lastConn = this.conns.id(conn)
        }
        this.conn[i] = lastConn
      } else this.conn[i] = -1
      const bytes = (event as { bytes?: unknown }).bytes
      this.bytes[i] = typeof bytes === 'number' ? bytes : 0
      let flags = 0
      if ((kind === RECV || kind === SEND) && isPlainIo(event)) {
        flags = FLAG_IO
        this.detail[i] = this.texts.add((event as { preview: string }).preview)
      } else {
        if (kind === BLOCK || kind === UNBLOCK || kind === LOCK_WAIT || kind === LOCK_ACQUIRE) {
          const wait = event as { on?: string; waiter?: string }
          const on = kind === LOCK_WAIT || kind === LOCK_ACQUIRE ? 'lock' : wait.on
          flags = (on !== undefined ? (WAIT_ON_CODE.get(on) ?? FLAG_ON_NONE) : FLAG_ON_NONE) | (wait.waiter === 'task' ? FLAG_TASK : 0)
        }
        this.detail[i] = this.encodeRest(event)
      }
      this.flags[i] = flags
      if (t < this.minT) this.minT = t
      if (t > this.maxT) this.maxT = t
    }
    const orderFrom = this.insertOrder(first, batch.length)
    return { first, count: batch.length, orderFrom }
  }

  /**
   * The event numbered `seq` (arrival order), whole, or undefined past the store. Built
   * afresh from the columns on each call.
   */
  event(seq: number): SockscopeEvent | undefined {
    if (!(seq >= 0 && seq < this.size)) return undefined
    const base = {
      kind: kindName(this.kind[seq]!),
      t: this.t[seq]!,
      src: this.source(seq),
    } as Record<string, unknown>
    const conn = this.conn[seq]!
    if (conn >= 0) base.conn = this.conns.names[conn]
    if (this.flags[seq]! & FLAG_IO) {
      base.bytes = this.bytes[seq]
      base.preview = this.texts.text(this.detail[seq]!)
      return base as unknown as SockscopeEvent
    }
    const detail = this.detail[seq]!
    if (detail !== NO_DETAIL) Object.assign(base, JSON.parse(this.texts.text(detail)) as object)
    return base as unknown as SockscopeEvent
  }

  /** Who saw event `seq`: its role, run, pid and thread. */
  source(seq: number): EventSource {
    return { role: (ROLES[this.role[seq]!] ?? 'lab') as Role, run: this.runs.names[this.run[seq]!] ?? '', pid: this.pid[seq]!, tid: this.tid[seq]! }
  }

  /** A recv's or send's preview without building the event; undefined for other kinds. */
  preview(seq: number): string | undefined {
    if (!(seq >= 0 && seq < this.size)) return undefined
    if (this.flags[seq]! & FLAG_IO) return this.texts.text(this.detail[seq]!)
    const kind = this.kind[seq]
    return kind === RECV || kind === SEND ? (this.event(seq) as { preview?: string }).preview : undefined
  }

  /** What a wait is on (block, unblock, lock-wait, lock-acquire), from the columns; undefined for other kinds. */
  waitOn(seq: number): BlockReason | undefined {
    return WAIT_ON[this.flags[seq]! & FLAG_ON_MASK]
  }

  /** The event at position `i` in time order. */
  at(i: number): SockscopeEvent {
    return this.event(this.order[i]!)!
  }

  clear(): void {
    this.size = 0
    this.texts.clear()
    this.minT = Number.POSITIVE_INFINITY
    this.maxT = Number.NEGATIVE_INFINITY
  }

  /** The fields the columns do not hold, as JSON in the text buffer. */
  private encodeRest(event: SockscopeEvent): number {
    const { kind: _kind, t: _t, src: _src, ...rest } = event as unknown as Record<string, unknown>
    if (typeof rest.conn === 'string') delete rest.conn
    for (const _ in rest) return this.texts.add(JSON.stringify(rest))
    return NO_DETAIL
  }

  /** Put seqs [first, first+count) into time order; returns where the order first changed. */
  private insertOrder(first: number, count: number): number {
    const end = first + count
    const t = this.t
    // Usually the batch is in time order and later than everything before it: append.
    let sorted = true
    for (let k = first + 1; k < end; k++) if (t[k]! < t[k - 1]!) sorted = false
    const lastBefore = first > 0 ? t[this.order[first - 1]!]! : Number.NEGATIVE_INFINITY
    if (sorted && t[first]! >= lastBefore) {
      for (let k = first; k < end; k++) this.order[k] = k
      return first
    }
    const batch = new Uint32Array(count)
    for (let k = 0; k < count; k++) batch[k] = first + k
    if (!sorted) batch.sort((a, b) => t[a]! - t[b]! || a - b)
    if (t[batch[0]!]! >= lastBefore) {
      this.order.set(batch, first)
      return first
    }
    // Otherwise merge with the tail that is later than the batch's first event.
    const from = this.upperBound(t[batch[0]!]!, first)
    const tail = this.order.slice(from, first)
    let a = 0
    let b = 0
    for (let pos = from; pos < end; pos++) {
      const takeTail = b >= count || (a < tail.length && t[tail[a]!]! <= t[batch[b]!]!)
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
    this.flags = copy(this.flags, (n) => new Uint8Array(n))
    this.detail = copy(this.detail, (n) => new Uint32Array(n))
    this.order = copy(this.order, (n) => new Uint32Array(n))
  }
}
