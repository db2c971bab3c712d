import { type EventStore, FLAG_COMPACT, FLAG_IO, FLAG_TASK, FLAG_THREAD, type Interner, kindCode, NO_DETAIL, ROLES, WAIT_ON } from '../model/event-store.ts'

/**
 * A trace's common lines read from their bytes straight into the store's columns, never
 * decoded to a string nor parsed to an object: in Chromium, decoding 139 MB of UTF-8 costs
 * more than parsing it, and a million objects cost their collection. It reads the lines the
 * emitters write (recv, send, block, unblock, wake-up: nine lines in ten) in the exact form
 * JSON.stringify gives them: `{"kind":…,"t":…,"src":{"role":…,"run":…,"pid":…,"tid":…},…}`,
 * no spaces, ASCII strings without escapes, numbers without exponents whose digits give the
 * double exactly. Anything else, it leaves to the text path (JSON.parse and the checks of
 * trace-lines.ts), so it takes only what that path would take, and stores it as
 * EventStore.append would (test/renderer/recording/line-scanner.test.ts holds it to both).
 */

const bytesOf = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0))
const KIND = bytesOf('{"kind":')
const T = bytesOf(',"t":')
const SRC = bytesOf(',"src":{"role":')
const RUN = bytesOf(',"run":')
const PID = bytesOf(',"pid":')
const TID = bytesOf(',"tid":')

const RECV = kindCode('recv')
const SEND = kindCode('send')
const BLOCK = kindCode('block')
const UNBLOCK = kindCode('unblock')
const WAKEUP = kindCode('wakeup')
const KIND_NAMES = ['recv', 'send', 'block', 'unblock', 'wakeup']
const KIND_CODES = KIND_NAMES.map(kindCode)
/** Names as bytes, matched without building a string (a table's position is the name's code). */
const table = (names: readonly string[]) => names.map(bytesOf)
const KIND_TABLE = table(KIND_NAMES)
const ROLE_TABLE = table(ROLES)
const WAIT_TABLE = table(WAIT_ON)
const WAITER_TABLE = table(['task', 'thread'])

/** The fields after `src`, as bits: each may come once. */
const F = { conn: 1, bytes: 2, preview: 4, on: 8, waiter: 16, sockets: 32, blockedUs: 64, readable: 128, writable: 256, waitedUs: 512 } as const
type Field = keyof typeof F
const FIELD_NAMES = Object.keys(F) as Field[]
const FIELD_TABLE = table(FIELD_NAMES)
/** Which fields each kind may have (and those it must) for the store to keep it whole in its columns (EventStore's FLAG_IO / FLAG_COMPACT). */
const ALLOWED = new Map<number, number>([
  [RECV, F.conn | F.bytes | F.preview],
  [SEND, F.conn | F.bytes | F.preview],
  [BLOCK, F.conn | F.on | F.waiter | F.sockets],
  [UNBLOCK, F.conn | F.on | F.blockedUs | F.waiter],
  [WAKEUP, F.readable | F.writable | F.waitedUs],
])
const REQUIRED = new Map<number, number>([
  [RECV, F.conn | F.bytes | F.preview],
  [SEND, F.conn | F.bytes | F.preview],
  [BLOCK, F.on],
  [UNBLOCK, F.on | F.blockedUs],
  [WAKEUP, F.readable | F.writable | F.waitedUs],
])

/** Exact powers of ten (a double holds 10^k exactly up to k = 22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k)

/** Names interned from their bytes: a hash finds the name's id, whose characters are checked. */
class ByteNames {
  private readonly ids = new Map<number, number>()
  private readonly names: Interner | ((name: string) => number)
  private readonly list: () => readonly string[]

  constructor(names: Interner | ((name: string) => number), list: () => readonly string[]) {
    this.names = names
    this.list = list
  }

  id(bytes: Uint8Array, start: number, end: number): number {
    let hash = 0x811c9dc5
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193)
    const known = this.ids.get(hash)
    if (known !== undefined) {
      const name = this.list()[known]!
      if (name.length === end - start) {
        let same = true
        for (let i = 0; i < name.length; i++)
          if (name.charCodeAt(i) !== bytes[start + i]) {
            same = false
            break
          }
        if (same) return known
      }
    }
    let name = ''
    for (let i = start; i < end; i++) name += String.fromCharCode(bytes[i]!)
    const id = typeof this.names === 'function' ? this.names(name) : this.names.id(name)
    this.ids.set(hash, id)
    return id
  }
}

export class LineScanner {
  private readonly store: EventStore
  private readonly conns: ByteNames
  private readonly runs: ByteNames
  private readonly ready: ByteNames
  private b: Uint8Array = new Uint8Array(0)
  private p = 0
  /** The last string read: bytes [s0, s1). */
  private s0 = 0
  private s1 = 0
  private readonly readyIds: number[] = []

  constructor(store: EventStore) {
    this.store = store
    this.conns = new ByteNames(store.conns, () => store.conns.names)
    this.runs = new ByteNames(store.runs, () => store.runs.names)
    const readyNames: string[] = []
    this.ready = new ByteNames((name) => {
      const id = store.readyName(name)
      readyNames[id] = name
      return id
    }, () => readyNames)
  }

  /**
   * The line `bytes[start, end)` into the store as a row: its time, or undefined where it
   * is not a line this reads (nothing is written then).
   */
  scan(bytes: Uint8Array, start: number, end: number): number | undefined {
    this.b = bytes
    this.p = start
    if (!this.lit(KIND) || !this.str()) return undefined
    const kindAt = this.match(KIND_TABLE)
    if (kindAt < 0 || !this.lit(T)) return undefined
    const kind = KIND_CODES[kindAt]!
    const t = this.num()
    if (Number.isNaN(t) || !this.lit(SRC) || !this.str()) return undefined
    const role = this.match(ROLE_TABLE)
    if (role < 0 || !this.lit(RUN) || !this.str()) return undefined
    const run = this.runs.id(bytes, this.s0, this.s1)
    if (!this.lit(PID)) return undefined
    const pid = this.int()
    if (Number.isNaN(pid) || !this.lit(TID)) return undefined
    const tid = this.int()
    if (Number.isNaN(tid) || bytes[this.p++] !== 0x7d) return undefined
    let seen = 0
    let conn = -1
    let count = 0
    let preview0 = 0
    let preview1 = 0
    let on = -1
    let waiter = 0
    let sockets = 0
    let blockedUs = 0
    let waitedUs = 0
    let readable = 0
    let writable = 0
    const ready = this.readyIds
    ready.length = 0
    const allowed = ALLOWED.get(kind)!
    while (bytes[this.p] === 0x2c) {
      this.p++
      if (!this.str() || bytes[this.p++] !== 0x3a) return undefined
      const fieldAt = this.match(FIELD_TABLE)
      if (fieldAt < 0) return undefined
      const field = FIELD_NAMES[fieldAt]!
      const bit = F[field]
      if (seen & bit || !(allowed & bit)) return undefined
      seen |= bit
      switch (field) {
        case 'conn':
          if (!this.str()) return undefined
          conn = this.conns.id(bytes, this.s0, this.s1)
          break
        case 'bytes':
          count = this.int()
          if (!(count >= 0 && count <= 0x7fff_ffff)) return undefined
          break
        case 'preview':
          if (!this.str()) return undefined
          preview0 = this.s0
          preview1 = this.s1
          break
        case 'on': {
          if (!this.str()) return undefined
          on = this.match(WAIT_TABLE)
          if (on < 0) return undefined
          break
        }
        case 'waiter': {
          if (!this.str()) return undefined
          const who = this.match(WAITER_TABLE)
          if (who < 0) return undefined
          waiter = who === 0 ? FLAG_TASK : FLAG_THREAD
          break
        }
        case 'sockets':
          // A count of 0 the store keeps as text (0 in its column means none named).
          sockets = this.int()
          if (!(sockets !== 0 && (sockets | 0) === sockets)) return undefined
          break
        case 'blockedUs':
          blockedUs = this.num()
          if (Number.isNaN(blockedUs)) return undefined
          break
        case 'waitedUs':
          waitedUs = this.num()
          if (Number.isNaN(waitedUs)) return undefined
          break
        case 'readable':
        case 'writable': {
          // readable before writable: the store keeps the names in that order.
          if (field === 'readable' && seen & F.writable) return undefined
          const before = ready.length
          if (!this.names(ready)) return undefined
          if (field === 'readable') readable = ready.length - before
          else writable = ready.length - before
          break
        }
      }
    }
    const required = REQUIRED.get(kind)!
    if (bytes[this.p++] !== 0x7d || this.p !== end || (seen & required) !== required) return undefined
    const store = this.store
    if (kind === RECV || kind === SEND) store.row(t, kind, role, run, pid, tid, conn, count, FLAG_IO, store.addAscii(bytes, preview0, preview1))
    else if (kind === BLOCK) store.row(t, kind, role, run, pid, tid, conn, sockets, FLAG_COMPACT | on | waiter, NO_DETAIL)
    else if (kind === UNBLOCK) {
      const at = store.addAux(1)
      store.setAux(at, blockedUs)
      store.row(t, kind, role, run, pid, tid, conn, 0, FLAG_COMPACT | on | waiter, at)
    } else {
      const at = store.addAux(3 + ready.length)
      store.setAux(at, waitedUs)
      store.setAux(at + 1, readable)
      store.setAux(at + 2, writable)
      for (let k = 0; k < ready.length; k++) store.setAux(at + 3 + k, ready[k]!)
      store.row(t, kind, role, run, pid, tid, -1, 0, FLAG_COMPACT, at)
    }
    return t
  }

  /** The bytes `lit` at the cursor, which moves past them. */
  private lit(lit: Uint8Array): boolean {
    const b = this.b
    const p = this.p
    for (let i = 0; i < lit.length; i++) if (b[p + i] !== lit[i]) return false
    this.p = p + lit.length
    return true
  }

  /** A string of printable ASCII without escapes: its bytes in s0..s1, the cursor past its closing quote. */
  private str(): boolean {
    const b = this.b
    if (b[this.p] !== 0x22) return false
    let p = this.p + 1
    this.s0 = p
    for (;;) {
      const c = b[p]
      if (c === 0x22) break
      if (c === undefined || c < 0x20 || c > 0x7e || c === 0x5c) return false
      p++
    }
    this.s1 = p
    this.p = p + 1
    return true
  }

  /** Which of `names` the last string read is (its position), or -1. */
  private match(names: readonly Uint8Array[]): number {
    const b = this.b
    const s0 = this.s0
    const length = this.s1 - s0
    next: for (let k = 0; k < names.length; k++) {
      const name = names[k]!
      if (name.length !== length) continue
      for (let i = 0; i < length; i++) if (b[s0 + i] !== name[i]) continue next
      return k
    }
    return -1
  }

  /**
   * A JSON number with at most 15 significant digits and no exponent: its digits over a
   * power of ten, both exact, so the division is rounded once, as JSON.parse rounds. NaN
   * for any other.
   */
  private num(): number {
    const b = this.b
    let p = this.p
    const negative = b[p] === 0x2d
    if (negative) p++
    let digits = 0
    let mantissa = 0
    const first = b[p]
    if (first === 0x30) {
      p++
    } else if (first !== undefined && first > 0x30 && first <= 0x39) {
      while (b[p]! >= 0x30 && b[p]! <= 0x39) {
        mantissa = mantissa * 10 + (b[p]! - 0x30)
        digits++
        p++
      }
    } else return Number.NaN
    let scale = 0
    if (b[p] === 0x2e) {
      p++
      const from = p
      while (b[p]! >= 0x30 && b[p]! <= 0x39) {
        mantissa = mantissa * 10 + (b[p]! - 0x30)
        p++
      }
      scale = p - from
      if (scale === 0) return Number.NaN
      digits += scale
    }
    const next = b[p]
    if (digits > 15 || scale > 22 || next === 0x65 || next === 0x45) return Number.NaN
    this.p = p
    const value = scale ? mantissa / POW10[scale]! : mantissa
    return negative ? -value : value
  }

  /** An integer (a JSON number without fraction or exponent, of at most 15 digits); NaN for any other. */
  private int(): number {
    const start = this.p
    const n = this.num()
    for (let i = start; i < this.p; i++) if (this.b[i] === 0x2e) return Number.NaN
    return n
  }

  /** An array of strings, their name ids pushed to `out`. */
  private names(out: number[]): boolean {
    const b = this.b
    if (b[this.p++] !== 0x5b) return false
    if (b[this.p] === 0x5d) {
      this.p++
      return true
    }
    for (;;) {
      if (!this.str()) return false
      out.push(this.ready.id(b, this.s0, this.s1))
      const c = b[this.p++]
      if (c === 0x5d) return true
      if (c !== 0x2c) return false
    }
  }
}
