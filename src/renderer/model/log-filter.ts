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
]

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

/**
 * The event on row `row` of a filtered log (`indices` from filterLog), or undefined when
 * the row is past the positions or a position is past the store: positions from before a
 * clear must not be read as events, and one missing row must not stop the others drawing.
 */
export function logItemAt(store: EventStore, indices: Uint32Array, row: number): Item | undefined {
  const pos = indices[row]
  if (pos === undefined || pos >= store.size) return undefined
  const seq = store.order[pos]!
  const e = store.objects[seq]
  return e && { seq, e }
}
