import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { filterLog, KIND_GROUPS, logItemAt } from '../../../src/renderer/model/log-filter.ts'
import { client, ev, forkConnection } from '../events.ts'

describe('filterLog', () => {
  const store = new EventStore()
  store.append([...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10, 502)])

  it('shows everything in time order without a filter', () => {
    const all = filterLog(store, { kinds: null, conns: null })
    expect(all.length).toBe(store.size)
    const times = Array.from(all, (i) => store.at(i).t)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('filters by kind and by connection', () => {
    const io = filterLog(store, { kinds: new Set(['recv', 'send']), conns: new Set(['3>2']) })
    expect(Array.from(io, (i) => store.at(i).kind)).toEqual(['send', 'recv', 'send', 'recv'])
    expect(Array.from(io, (i) => (store.at(i) as { conn: string }).conn).every((c) => c === '3>2')).toBe(true)
  })

  it('knows every kind of the event union in some group', () => {
    const grouped = new Set(KIND_GROUPS.flatMap((g) => g.kinds))
    for (const kind of ['listen', 'connect', 'queued', 'accept', 'recv', 'send', 'close', 'fork', 'exit', 'reap', 'thread-start', 'thread-end', 'task-start', 'task-end', 'wakeup', 'block', 'unblock', 'lock-wait', 'lock-acquire', 'lock-release', 'phase', 'error', 'proc', 'sockets'])
      expect(grouped.has(kind), kind).toBe(true)
  })

  // How fast is a benchmark's question (bench/event-store.bench.ts prints filter ms), not a test's.
  it('filters 100k events by kind and connection', () => {
    const big = new EventStore()
    big.append(Array.from({ length: 100_000 }, (_, i) => ev(i % 2 ? 'send' : 'recv', i, client(), { conn: `${i % 100}>1`, bytes: 1, preview: '' })))
    const out = filterLog(big, { kinds: new Set(['send']), conns: new Set(['1>1', '3>1']) })
    expect(out.length).toBe(2000)
  })

  it('reads a row as its event, and positions from before a clear as nothing', () => {
    const cleared = new EventStore()
    cleared.append(forkConnection('1>2', 0, 501))
    const before = filterLog(cleared, { kinds: null, conns: null })
    expect(logItemAt(cleared, before, 0)).toEqual({ seq: 0, e: cleared.at(0) })
    expect(logItemAt(cleared, before, before.length)).toBeUndefined()
    // The store empties at once; positions computed before it point past it (and its
    // order column still holds the old seqs).
    cleared.clear()
    cleared.append(forkConnection('3>2', 10, 502).slice(0, 2))
    const rows = Array.from(before, (_, row) => logItemAt(cleared, before, row))
    expect(rows.slice(0, 2).map((r) => r?.e.kind)).toEqual(['connect', 'send'])
    expect(rows.slice(2).every((r) => r === undefined)).toBe(true)
  })
})
