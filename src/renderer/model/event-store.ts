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

  /** Take `names` as the whole table (a store adopted from a snapshot), ids as their positions. */
  load(names: readonly string[]): void {
    this.ids.clear()
    this.names.length = 0
    for (const name of names) this.id(name)
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
export const FLAG_IO = 0b0001_0000
/** `flags`: a block that says more than what it waits on and for how many sockets (a timeout, a cause, a limit): decode it for those. */
export const FLAG_MORE = 0b0010_0000
/** `flags`: a block, unblock or wake-up of the usual shape, whole in the columns and the number buffer (no detail text). */
export const FLAG_COMPACT = 0b0100_0000
/** `flags` (compact waits): the waiter is given as 'thread' (else absent, or 'task': FLAG_TASK). The flags are 8 bits: keep them so. */
export const FLAG_THREAD = 0b1000_0000

const BLOCK_KEYS = new Set(['kind', 't', 'src', 'conn', 'on', 'waiter', 'sockets'])
const UNBLOCK_KEYS = new Set(['kind', 't', 'src', 'conn', 'on', 'blockedUs', 'waiter'])
const WAKEUP_KEYS = new Set(['kind', 't', 'src', 'readable', 'writable', 'waitedUs'])

export const NO_DETAIL = 0xffff_ffff
const RECV = KIND_CODE.get('recv')!
const WAKEUP = KIND_CODE.get('wakeup')!
const SEND = KIND_CODE.get('send')!
const BLOCK = KIND_CODE.get('block')!
const UNBLOCK = KIND_CODE.get('unblock')!
const LOCK_WAIT = KIND_CODE.get('lock-wait')!
const LOCK_ACQUIRE = KIND_CODE.get('lock-acquire')!
/** Short texts are written once and shared (previews like `Hello`, a task's wait `,"on":"recv","waiter":"task"}`); the table of them is bounded. */
const SHARED_TEXT_MAX_CHARS = 40
const SHARED_TEXT_MAX_ENTRIES = 20_000

/**
 * Texts in one growable byte buffer: each a varint length and its UTF-8 bytes, named by
 * its offset. No JS string stays alive per event; a text is decoded when asked for.
 */
class TextBuffer {
  bytes = new Uint8Array(1 << 16)
  size = 0
  private readonly shared = new Map<string, number>()
  /** addAscii's shared texts, by a hash of their bytes. */
  private readonly sharedBytes = new Map<number, number>()
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
    const bytes = this.bytes
    // Most texts are ASCII: written byte by byte behind their length, in one pass.
    let p = this.writeVarint(at, text.length)
    let ascii = true
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c > 0x7f) {
        ascii = false
        break
      }
      bytes[p++] = c
    }
    if (ascii) this.size = p
    else {
      // Write past a 5-byte hole, then move the bytes up behind the real length.
      const written = this.encoder.encodeInto(text, bytes.subarray(at + 5)).written
      const start = this.writeVarint(at, written)
      bytes.copyWithin(start, at + 5, at + 5 + written)
      this.size = start + written
    }
    if (short) {
      if (this.shared.size >= SHARED_TEXT_MAX_ENTRIES) this.shared.clear()
      this.shared.set(text, at)
    }
    return at
  }

  /**
   * An ASCII text given as its bytes (`bytes[start, end)`, every byte < 0x80): written as
   * add writes it, short ones shared as add shares them, found by a hash of their bytes.
   */
  addAscii(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start
    const short = length <= SHARED_TEXT_MAX_CHARS
    let hash = 0
    if (short) {
      hash = 0x811c9dc5
      for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193)
      const known = this.sharedBytes.get(hash)
      if (known !== undefined && this.sameBytes(known, bytes, start, length)) return known
    }
    this.reserve(length + 5)
    const at = this.size
    const p = this.writeVarint(at, length)
    this.bytes.set(bytes.subarray(start, end), p)
    this.size = p + length
    if (short) {
      if (this.sharedBytes.size >= SHARED_TEXT_MAX_ENTRIES) this.sharedBytes.clear()
      this.sharedBytes.set(hash, at)
    }
    return at
  }

  private sameBytes(at: number, bytes: Uint8Array, start: number, length: number): boolean {
    // A short text's length is one varint byte.
    if (this.bytes[at] !== length) return false
    for (let i = 0; i < length; i++) if (this.bytes[at + 1 + i] !== bytes[start + i]) return false
    return true
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
    this.sharedBytes.clear()
  }

  /** Another buffer's bytes, taken as they are (offsets into them stay valid). */
  adopt(bytes: Uint8Array<ArrayBuffer>, size: number): void {
    this.bytes = bytes
    this.size = size
    this.shared.clear()
    this.sharedBytes.clear()
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

type Column = Float64Array | Uint8Array | Uint16Array | Int32Array | Uint32Array

/**
 * A column made wider, its values kept: a run or thread id past what the narrow type holds.
 * Columns start narrow because most traces never need more (a few runs, tids 0…a few
 * dozen), and every byte of a column is a byte of every one of a million events.
 */
function widen<A extends Column>(old: Column, Make: new (n: number) => A): A {
  const next = new Make(old.length)
  next.set(old as never)
  return next
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
 * A store's whole contents as typed arrays and name tables, to hand to another thread:
 * the parse worker builds the store and the page adopts it, its buffers transferred, not
 * copied (`transfer` lists them for postMessage). The arrays are the store's own, at its
 * capacity: the store that made a snapshot is empty once the buffers are transferred.
 */
export interface StoreSnapshot {
  size: number
  columns: Record<ColumnName, Column>
  text: Uint8Array
  textSize: number
  aux: Float64Array
  auxSize: number
  conns: string[]
  runs: string[]
  readyNames: string[]
  minT: number
  maxT: number
}

const COLUMNS = ['t', 'kind', 'role', 'run', 'pid', 'tid', 'conn', 'bytes', 'flags', 'detail', 'order'] as const
type ColumnName = (typeof COLUMNS)[number]

/** The buffers of a snapshot, for postMessage's transfer list. */
export function snapshotBuffers(snapshot: StoreSnapshot): ArrayBuffer[] {
  return [...COLUMNS.map((name) => snapshot.columns[name].buffer), snapshot.text.buffer, snapshot.aux.buffer] as ArrayBuffer[]
}

/**
 * Two stores as one, `a`'s events first (seqs kept), then `b`'s (seqs moved up by a.size):
 * a file read in two parts at once, by two workers (recording/split-read.ts), each building
 * a store of its own. `b`'s names (connections, runs, ready-set names) are given the ids
 * they would have had in one store (a's names first, b's new ones after, in b's order),
 * its texts and numbers are moved behind a's, and the time order is the two merged, ties
 * to `a`: what one store given a's events and then b's would hold (short texts b shares
 * with a are kept twice, the only difference, and not one a reader sees).
 */
export function joinSnapshots(a: StoreSnapshot, b: StoreSnapshot): StoreSnapshot {
  const size = a.size + b.size
  const names = (left: readonly string[], right: readonly string[]) => {
    const joined = new Interner()
    joined.load(left)
    return { names: joined.names, ids: Int32Array.from(right, (name) => joined.id(name)) }
  }
  const conns = names(a.conns, b.conns)
  const runs = names(a.runs, b.runs)
  const ready = names(a.readyNames, b.readyNames)
  const wide = (x: Column, y: Column, Narrow: new (n: number) => Column, Wide: new (n: number) => Column) => (x instanceof Narrow && y instanceof Narrow ? new Narrow(size) : new Wide(size))
  const columns = {} as Record<ColumnName, Column>
  for (const name of COLUMNS) {
    const x = a.columns[name]
    const y = b.columns[name]
    const joined =
      name === 'run' ? (runs.names.length > 0x100 ? new Uint16Array(size) : wide(x, y, Uint8Array, Uint16Array)) : name === 'tid' ? wide(x, y, Uint16Array, Int32Array) : new (x.constructor as new (n: number) => Column)(size)
    joined.set(x.subarray(0, a.size) as never)
    joined.set(y.subarray(0, b.size) as never, a.size)
    columns[name] = joined
  }
  const text = new Uint8Array(Math.max(1 << 16, a.textSize + b.textSize))
  text.set(a.text.subarray(0, a.textSize))
  text.set(b.text.subarray(0, b.textSize), a.textSize)
  const aux = new Float64Array(Math.max(1 << 14, a.auxSize + b.auxSize))
  aux.set(a.aux.subarray(0, a.auxSize))
  aux.set(b.aux.subarray(0, b.auxSize), a.auxSize)
  const { conn, run, kind, flags, detail } = columns as { conn: Int32Array; run: Uint8Array | Uint16Array; kind: Uint8Array; flags: Uint8Array; detail: Uint32Array }
  for (let seq = a.size; seq < size; seq++) {
    if (conn[seq]! >= 0) conn[seq] = conns.ids[conn[seq]!]!
    run[seq] = runs.ids[run[seq]!]!
    const f = flags[seq]!
    const at = detail[seq]!
    if (at === NO_DETAIL) continue
    if (f & FLAG_COMPACT) {
      const moved = at + a.auxSize
      detail[seq] = moved
      // A wake-up's ready names follow its three numbers.
      if (kind[seq] === WAKEUP) for (let p = moved + 3, end = p + aux[moved + 1]! + aux[moved + 2]!; p < end; p++) aux[p] = ready.ids[aux[p]!]!
    } else detail[seq] = at + a.textSize
  }
  // The time order: each part's, merged (a's first on equal times, as one store orders by arrival).
  const order = columns.order as Uint32Array
  const t = columns.t as Float64Array
  const left = a.columns.order.subarray(0, a.size) as Uint32Array
  const right = b.columns.order.subarray(0, b.size) as Uint32Array
  if (a.size === 0 || b.size === 0 || t[left[a.size - 1]!]! <= t[right[0]! + a.size]!) {
    order.set(left)
    for (let k = 0; k < b.size; k++) order[a.size + k] = right[k]! + a.size
  } else {
    let i = 0
    let j = 0
    for (let pos = 0; pos < size; pos++) {
      const takeLeft = j >= b.size || (i < a.size && t[left[i]!]! <= t[right[j]! + a.size]!)
      order[pos] = takeLeft ? left[i++]! : right[j++]! + a.size
    }
  }
  return {
    size,
    columns,
    text,
    textSize: a.textSize + b.textSize,
    aux,
    auxSize: a.auxSize + b.auxSize,
    conns: conns.names,
    runs: runs.names,
    readyNames: ready.names,
    minT: Math.min(a.minT, b.minT),
    maxT: Math.max(a.maxT, b.maxT),
  }
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
  /** Interned run: one byte until a 256th run comes, then two (see widen). */
  run: Uint8Array | Uint16Array = new Uint8Array(0)
  pid = new Int32Array(0)
  /** Node's thread id (0 the main thread, workers count up): two bytes until one does not fit, then four. */
  tid: Uint16Array | Int32Array = new Uint16Array(0)
  /** Interned connection id, -1 for events without one. */
  conn = new Int32Array(0)
  /** Payload bytes of recv/send; for a block on select, how many sockets it waits on; else 0. */
  bytes = new Int32Array(0)
  /** A wait's WAIT_ON code and FLAG_TASK (block, unblock, lock-wait, lock-acquire), for derivations that must not decode; how the event is kept. */
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
  /** Numbers of compact events (an unblock's blockedUs; a wake-up's waitedUs, counts and names), by the offset in `detail`. */
  private aux = new Float64Array(1 << 14)
  private auxSize = 0
  /** The names in wake-ups' ready sets (connection ids, `listen:PORT`). */
  private readonly readyNames = new Interner()

  constructor(capacity = 4096) {
    this.grow(capacity)
  }

  get capacity(): number {
    return this.t.length
  }

  /** Bytes the store holds: its columns (at their capacity) and its text buffer. */
  get byteSize(): number {
    const columns = [this.t, this.kind, this.role, this.run, this.pid, this.tid, this.conn, this.bytes, this.flags, this.detail, this.order]
    return columns.reduce((sum, c) => sum + c.byteLength, 0) + this.texts.bytes.byteLength + this.aux.byteLength
  }

  /**
   * Make room for `capacity` events at once, for a reader that knows about how many are
   * coming (a file of known size: about 140 bytes a line). Growing by doubling touches
   * twice the memory the columns end up with; on a VM whose page faults are dear that is
   * a third of opening a million events.
   */
  reserve(capacity: number): void {
    if (capacity > this.capacity) this.grow(capacity)
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
        if (lastRun > 0xff && this.run instanceof Uint8Array) this.run = widen(this.run, Uint16Array)
        if ((src.tid < 0 || src.tid > 0xffff) && this.tid instanceof Uint16Array) this.tid = widen(this.tid, Int32Array)
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
          if (kind === BLOCK) {
            const block = event as { sockets?: unknown; timeoutMs?: unknown; cause?: unknown; limit?: unknown }
            if (typeof block.sockets === 'number') this.bytes[i] = block.sockets
            if (block.timeoutMs !== undefined || block.cause !== undefined || block.limit !== undefined) flags |= FLAG_MORE
          }
        }
        const compact = kind === BLOCK || kind === UNBLOCK || kind === WAKEUP ? this.encodeCompact(i, kind, event) : -1
        if (compact >= 0) flags |= compact
        else this.detail[i] = this.encodeRest(event)
      }
      this.flags[i] = flags
      if (t < this.minT) this.minT = t
      if (t > this.maxT) this.maxT = t
    }
    const orderFrom = this.insertOrder(first, batch.length)
    return { first, count: batch.length, orderFrom }
  }

  /**
   * One event as its columns, for a reader that never builds the event (the parse worker's
   * line scanner, recording/line-scanner.ts), with the codes and texts append would give
   * it (`detail`: from addAscii or addAux). Rows are not in `order` until commitRows.
   */
  row(t: number, kind: number, role: number, run: number, pid: number, tid: number, conn: number, bytes: number, flags: number, detail: number): void {
    if (this.size === this.capacity) this.grow(Math.max(4096, this.capacity * 2))
    const i = this.size++
    this.t[i] = t
    this.kind[i] = kind
    this.role[i] = role
    if (run > 0xff && this.run instanceof Uint8Array) this.run = widen(this.run, Uint16Array)
    this.run[i] = run
    this.pid[i] = pid
    if ((tid < 0 || tid > 0xffff) && this.tid instanceof Uint16Array) this.tid = widen(this.tid, Int32Array)
    this.tid[i] = tid
    this.conn[i] = conn
    this.bytes[i] = bytes
    this.flags[i] = flags
    this.detail[i] = detail
    if (t < this.minT) this.minT = t
    if (t > this.maxT) this.maxT = t
  }

  /** The rows from `first` on into time order, as append does with its batch. */
  commitRows(first: number): AppendResult {
    const count = this.size - first
    return { first, count, orderFrom: count > 0 ? this.insertOrder(first, count) : this.size }
  }

  /** A text for a row's `detail`, from its ASCII bytes. */
  addAscii(bytes: Uint8Array, start: number, end: number): number {
    return this.texts.addAscii(bytes, start, end)
  }

  /** Room for `n` numbers of a compact row (see encodeCompact), at the offset returned. */
  addAux(n: number): number {
    return this.reserveAux(n)
  }

  setAux(at: number, value: number): void {
    this.aux[at] = value
  }

  /** The id of a name in wake-ups' ready sets. */
  readyName(name: string): number {
    return this.readyNames.id(name)
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
    const flags = this.flags[seq]!
    if (flags & FLAG_COMPACT) return this.decodeCompact(seq, flags, base)
    const detail = this.detail[seq]!
    if (detail === NO_DETAIL) return base as unknown as SockscopeEvent
    const text = this.texts.text(detail)
    // The rest of the fields (`,"f":…}`), or the whole event where it was kept whole.
    if (text.charCodeAt(0) === 0x2c) Object.assign(base, JSON.parse(`{${text.slice(1)}`) as object)
    else {
      const whole = JSON.parse(text) as Record<string, unknown>
      delete whole.kind
      delete whole.t
      delete whole.src
      if (conn >= 0) delete whole.conn
      Object.assign(base, whole)
    }
    return base as unknown as SockscopeEvent
  }

  /** The whole store as a snapshot (see StoreSnapshot): its own arrays, not copies. */
  snapshot(): StoreSnapshot {
    const columns = Object.fromEntries(COLUMNS.map((name) => [name, this[name]])) as Record<ColumnName, Column>
    return {
      size: this.size,
      columns,
      text: this.texts.bytes,
      textSize: this.texts.size,
      aux: this.aux,
      auxSize: this.auxSize,
      conns: this.conns.names,
      runs: this.runs.names,
      readyNames: this.readyNames.names,
      minT: this.minT,
      maxT: this.maxT,
    }
  }

  /** Become the store a snapshot was taken of (what this store held is forgotten); its arrays are used as they are. */
  adopt(snapshot: StoreSnapshot): void {
    const c = snapshot.columns
    this.size = snapshot.size
    this.t = c.t as typeof this.t
    this.kind = c.kind as typeof this.kind
    this.role = c.role as typeof this.role
    this.run = c.run as typeof this.run
    this.pid = c.pid as typeof this.pid
    this.tid = c.tid as typeof this.tid
    this.conn = c.conn as typeof this.conn
    this.bytes = c.bytes as typeof this.bytes
    this.flags = c.flags as typeof this.flags
    this.detail = c.detail as typeof this.detail
    this.order = c.order as typeof this.order
    this.texts.adopt(snapshot.text as typeof this.texts.bytes, snapshot.textSize)
    this.aux = snapshot.aux as typeof this.aux
    this.auxSize = snapshot.auxSize
    this.conns.load(snapshot.conns)
    this.runs.load(snapshot.runs)
    this.readyNames.load(snapshot.readyNames)
    this.minT = snapshot.minT
    this.maxT = snapshot.maxT
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

  /** A wake-up's ready set sizes and wait, without building the event (undefined for other kinds). */
  wakeup(seq: number): { readable: number; writable: number; waitedUs: number } | undefined {
    if (this.kind[seq] !== WAKEUP) return undefined
    if (this.flags[seq]! & FLAG_COMPACT) {
      const at = this.detail[seq]!
      return { readable: this.aux[at + 1]!, writable: this.aux[at + 2]!, waitedUs: this.aux[at]! }
    }
    const e = this.event(seq) as { readable?: unknown[]; writable?: unknown[]; waitedUs?: number }
    return { readable: e.readable?.length ?? 0, writable: e.writable?.length ?? 0, waitedUs: e.waitedUs ?? 0 }
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
    this.auxSize = 0
    this.minT = Number.POSITIVE_INFINITY
    this.maxT = Number.NEGATIVE_INFINITY
  }

  /**
   * A block, unblock or wake-up of the usual shape (the bulk of an event loop's events),
   * kept without text: what it waits on and whose wait it is in `flags`, a block's sockets in
   * `bytes`, an unblock's blockedUs and a wake-up's numbers and ready names in `aux`.
   * Returns the flags to add, or -1 where the event has other fields (then it is kept as text).
   */
  private encodeCompact(i: number, kind: number, event: SockscopeEvent): number {
    const e = event as unknown as Record<string, unknown>
    const keys = kind === BLOCK ? BLOCK_KEYS : kind === UNBLOCK ? UNBLOCK_KEYS : WAKEUP_KEYS
    for (const key in e) if (!keys.has(key)) return -1
    if (e.conn !== undefined && typeof e.conn !== 'string') return -1
    if (kind === WAKEUP) {
      const { readable, writable, waitedUs } = e as { readable: unknown; writable: unknown; waitedUs: unknown }
      if (!Array.isArray(readable) || !Array.isArray(writable) || typeof waitedUs !== 'number') return -1
      for (const name of readable) if (typeof name !== 'string') return -1
      for (const name of writable) if (typeof name !== 'string') return -1
      const at = this.reserveAux(3 + readable.length + writable.length)
      this.aux[at] = waitedUs
      this.aux[at + 1] = readable.length
      this.aux[at + 2] = writable.length
      let p = at + 3
      for (const name of readable) this.aux[p++] = this.readyNames.id(name as string)
      for (const name of writable) this.aux[p++] = this.readyNames.id(name as string)
      this.detail[i] = at
      return FLAG_COMPACT
    }
    const on = e.on
    if (typeof on !== 'string' || !WAIT_ON_CODE.has(on)) return -1
    const waiter = e.waiter
    if (waiter !== undefined && waiter !== 'task' && waiter !== 'thread') return -1
    let flags = FLAG_COMPACT | (waiter === 'thread' ? FLAG_THREAD : 0)
    if (kind === BLOCK) {
      // Its sockets are in `bytes` (0: none named, so a count of 0 is kept as text).
      const sockets = e.sockets
      if (sockets !== undefined && (typeof sockets !== 'number' || sockets === 0 || (sockets | 0) !== sockets)) return -1
      this.detail[i] = NO_DETAIL
      return flags
    }
    if (typeof e.blockedUs !== 'number') return -1
    const at = this.reserveAux(1)
    this.aux[at] = e.blockedUs
    this.detail[i] = at
    return flags
  }

  private decodeCompact(seq: number, flags: number, base: Record<string, unknown>): SockscopeEvent {
    const kind = this.kind[seq]!
    const at = this.detail[seq]!
    if (kind === WAKEUP) {
      const readable = this.aux[at + 1]!
      const writable = this.aux[at + 2]!
      const names = this.readyNames.names
      base.readable = Array.from({ length: readable }, (_, k) => names[this.aux[at + 3 + k]!])
      base.writable = Array.from({ length: writable }, (_, k) => names[this.aux[at + 3 + readable + k]!])
      base.waitedUs = this.aux[at]
      return base as unknown as SockscopeEvent
    }
    base.on = WAIT_ON[flags & FLAG_ON_MASK]
    if (kind === UNBLOCK) base.blockedUs = this.aux[at]
    if (flags & FLAG_TASK) base.waiter = 'task'
    else if (flags & FLAG_THREAD) base.waiter = 'thread'
    if (kind === BLOCK && this.bytes[seq] !== 0) base.sockets = this.bytes[seq]
    return base as unknown as SockscopeEvent
  }

  private reserveAux(n: number): number {
    if (this.auxSize + n > this.aux.length) {
      let capacity = this.aux.length * 2
      while (capacity < this.auxSize + n) capacity *= 2
      const next = new Float64Array(capacity)
      next.set(this.aux.subarray(0, this.auxSize))
      this.aux = next
    }
    const at = this.auxSize
    this.auxSize += n
    return at
  }

  /**
   * The fields the columns do not hold, as JSON in the text buffer: the event's JSON after
   * its `src` (and its conn), as `,"f":…}`, where it begins with kind, t and src as every
   * emitter writes them; else the whole of it.
   */
  private encodeRest(event: SockscopeEvent): number {
    const json = JSON.stringify(event)
    const src = event.src
    const head = `{"kind":${JSON.stringify(event.kind)},"t":`
    let cut = -1
    if (json.startsWith(head) && typeof src.run === 'string' && !src.run.includes('}')) {
      const srcAt = json.indexOf(',"src":{', head.length)
      if (srcAt > 0) cut = json.indexOf('}', srcAt + 8) + 1
    }
    if (cut <= 0) return this.texts.add(json)
    const conn = (event as { conn?: unknown }).conn
    if (typeof conn === 'string') {
      const field = `,"conn":${JSON.stringify(conn)}`
      if (json.startsWith(field, cut)) cut += field.length
    }
    // What is left is `}` (nothing more) or `,"field":…}`.
    if (json.length - cut <= 1) return NO_DETAIL
    return this.texts.add(json.slice(cut))
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
    const copy = <A extends Column>(old: A, make: (n: number) => A): A => {
      const next = make(capacity)
      next.set(old.subarray(0, this.size) as never)
      return next
    }
    this.t = copy(this.t, (n) => new Float64Array(n))
    this.kind = copy(this.kind, (n) => new Uint8Array(n))
    this.role = copy(this.role, (n) => new Uint8Array(n))
    this.run = this.run instanceof Uint8Array ? copy(this.run, (n) => new Uint8Array(n)) : copy(this.run, (n) => new Uint16Array(n))
    this.pid = copy(this.pid, (n) => new Int32Array(n))
    this.tid = this.tid instanceof Uint16Array ? copy(this.tid, (n) => new Uint16Array(n)) : copy(this.tid, (n) => new Int32Array(n))
    this.conn = copy(this.conn, (n) => new Int32Array(n))
    this.bytes = copy(this.bytes, (n) => new Int32Array(n))
    this.flags = copy(this.flags, (n) => new Uint8Array(n))
    this.detail = copy(this.detail, (n) => new Uint32Array(n))
    this.order = copy(this.order, (n) => new Uint32Array(n))
  }
}
