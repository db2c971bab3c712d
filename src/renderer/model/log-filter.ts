import type { Item } from './derive.ts'
import { type EventStore, kindCode } from './event-store.ts'

export interface LogFilter {
  /** Kinds to show; null shows all. */
  kinds: ReadonlySet<string> | null
  /** Connection ids to show; null shows all (events without a connection included). */
  conns: ReadonlySet<string> | null
}

/** Kinds grouped for the log's filter chips. */
export const KIND_GROUPS: readonly { id: string; label: string; kinds: readonly string[] }[] = [
  { id: 'io', label: 'recv / send', kinds: ['recv', 'send'] },
  { id: 'conn', label: 'connect / accept / close', kinds: ['listen', 'connect', 'queued', 'accept', 'close'] },
  { id: 'proc', label: 'fork / exit / reap', kinds: ['fork', 'exit', 'reap'] },
  { id: 'thread', label: 'threads / tasks', kinds: ['thread-start', 'thread-end', 'task-start', 'task-end', 'phase'] },
  { id: 'block', label: 'block / unblock', kinds: ['block', 'unblock'] },
  { id: 'lock', label: 'locks / shared state', kinds: ['lock-wait', 'lock-acquire', 'lock-release', 'state'] },
  { id: 'loop', label: 'wake-ups', kinds: ['wakeup'] },
  { id: 'os', label: 'OS samples', kinds: ['proc', 'sockets'] },
  { id: 'error', label: 'errors', kinds: ['error'] },
  /** Not events: what each finished workload computed (see noteRows). */
  { id: 'result', label: 'results', kinds: [] },
]

/** The groups the log hides until asked: every block / unblock, and the OS sampler's readings,
 *  which would crowd out what the servers and clients did. */
export const HIDDEN_BY_DEFAULT: readonly string[] = ['block', 'os']

/**
 * Positions (in time order) of the events that pass the filter: a scan of two typed
 * columns, a few ms for 100k events, so the virtual list can show any slice at once.
 */
export function filterLog(store: EventStore, filter: LogFilter): Uint32Array {
  const n = store.size
  if (!filter.kinds && !filter.conns) {
    const all = new Uint32Array(n)
    for (let i = 0; i < n; i++) all[i] = i
    return all
  }
  const { kindOk, connOk } = filterMasks(store, filter)
  const out = new Uint32Array(n)
  let count = 0
  const { order, kind, conn } = store
  for (let i = 0; i < n; i++) {
    const seq = order[i]!
    if (!kindOk[kind[seq]!]) continue
    if (connOk) {
      const c = conn[seq]!
      if (c < 0 || !connOk[c]) continue
    }
    out[count++] = i
  }
  return out.subarray(0, count)
}

/** Which kind codes and connection ids pass the filter (connOk null: every connection). */
function filterMasks(store: EventStore, filter: LogFilter): { kindOk: Uint8Array; connOk: Uint8Array | null } {
  const kindOk = new Uint8Array(256)
  if (filter.kinds) for (const kind of filter.kinds) kindOk[kindCode(kind)] = 1
  else kindOk.fill(1)
  let connOk: Uint8Array | null = null
  if (filter.conns) {
    connOk = new Uint8Array(store.conns.names.length + 1)
    for (const conn of filter.conns) {
      const id = store.conns.find(conn)
      if (id >= 0) connOk[id] = 1
    }
  }
  return { kindOk, connOk }
}

/**
 * filterLog kept up to date as the store grows: each update reads only the events added
 * since the last (a live log gains thousands a second, and rescanning a million positions
 * every frame was a few ms of each), and gives what filterLog gives. It starts again when
 * the filter changes (by identity of its sets), when the store was cleared, or when an
 * event landed before the last position read (the seq there moved). A store cleared and
 * refilled past the last position read looks grown: after a clear, start a new index.
 */
export class LogIndex {
  private kinds: ReadonlySet<string> | null | undefined = undefined
  private conns: ReadonlySet<string> | null | undefined = undefined
  private store: EventStore | null = null
  private out = new Uint32Array(1024)
  private count = 0
  private scanned = 0
  private lastSeq = -1

  update(store: EventStore, filter: LogFilter): Uint32Array {
    const moved = this.scanned > 0 && (store.size < this.scanned || store.order[this.scanned - 1] !== this.lastSeq)
    if (moved || store !== this.store || filter.kinds !== this.kinds || filter.conns !== this.conns) {
      this.store = store
      this.kinds = filter.kinds
      this.conns = filter.conns
      this.count = 0
      this.scanned = 0
    }
    const n = store.size
    if (n > this.scanned) {
      // Ids looked up each time: a connection picked before its first event gets its id later.
      const { kindOk, connOk } = filterMasks(store, filter)
      if (this.count + (n - this.scanned) > this.out.length) {
        const grown = new Uint32Array(Math.max(this.out.length * 2, this.count + (n - this.scanned)))
        grown.set(this.out.subarray(0, this.count))
        this.out = grown
      }
      const { order, kind, conn } = store
      const out = this.out
      let count = this.count
      for (let i = this.scanned; i < n; i++) {
        const seq = order[i]!
        if (!kindOk[kind[seq]!]) continue
        if (connOk) {
          const c = conn[seq]!
          if (c < 0 || !connOk[c]) continue
        }
        out[count++] = i
      }
      this.count = count
      this.scanned = n
      this.lastSeq = order[n - 1]!
    }
    return this.out.subarray(0, this.count)
  }
}

/**
 * The event on row `row` of a filtered log (`indices` from filterLog), or undefined when
 * the row is past the positions or a position is past the store: positions from before a
 * clear must not be read as events, and one missing row must not stop the others drawing.
 */
export function logItemAt(store: EventStore, indices: Uint32Array, row: number): Item | undefined {
  const pos = indices[row]
  if (pos === undefined || pos >= store.size) return undefined
  const seq = store.order[pos]!
  const e = store.event(seq)
  return e && { seq, e }
}

/**
 * Where rows that are not events (a workload's result, at the time its run ended) go
 * among the filtered events: each after every shown event at or before its time. `times`
 * in order; returns each note's row (rows count events and notes together).
 */
export function noteRows(store: EventStore, indices: Uint32Array, times: readonly number[]): number[] {
  const rows: number[] = []
  let lo = 0
  times.forEach((t, i) => {
    let hi = indices.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const pos = indices[mid]!
      if (pos < store.size && store.t[store.order[pos]!]! <= t) lo = mid + 1
      else hi = mid
    }
    rows.push(lo + i)
  })
  return rows
}

/** What row `row` of the log shows: note `note` (see noteRows), or the event at `event` in the filtered positions. */
export function logRowAt(row: number, notes: readonly number[]): { note: number } | { event: number } {
  let before = 0
  for (const [i, at] of notes.entries()) {
    if (at === row) return { note: i }
    if (at < row) before++
    else break
  }
  return { event: row - before }
}
