import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { filterLog, HIDDEN_BY_DEFAULT, KIND_GROUPS, LogIndex, logItemAt, logRowAt, noteRows } from '../../../src/renderer/model/log-filter.ts'
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

describe('rows that are not events: a workload’s result among the events', () => {
  const store = new EventStore()
  // Events at 0, 10, …, 90 µs.
  store.append(Array.from({ length: 10 }, (_, i) => ev('send', i * 10, client(), { conn: '1>2', bytes: 1, preview: '' })))
  const all = filterLog(store, { kinds: null, conns: null })

  it('places each result after every shown event at or before its time', () => {
    expect(noteRows(store, all, [])).toEqual([])
    // One at 25 µs goes after the events at 0, 10, 20: row 3. One at 90 µs after all ten, and
    // after the first result too: row 11. One before everything: row 0.
    expect(noteRows(store, all, [25, 90])).toEqual([3, 11])
    expect(noteRows(store, all, [-5])).toEqual([0])
    // Two at the same time follow each other.
    expect(noteRows(store, all, [40, 40])).toEqual([5, 6])
    // Among filtered events, by the events shown.
    const some = filterLog(store, { kinds: new Set(['recv']), conns: null })
    expect(noteRows(store, some, [25])).toEqual([0])
  })

  it('reads a row as a result or as the event at its place among the shown ones', () => {
    const notes = noteRows(store, all, [25, 90])
    const rows = Array.from({ length: all.length + notes.length }, (_, row) => logRowAt(row, notes))
    expect(rows.slice(0, 5)).toEqual([{ event: 0 }, { event: 1 }, { event: 2 }, { note: 0 }, { event: 3 }])
    expect(rows.at(-1)).toEqual({ note: 1 })
    expect(rows.filter((r) => 'event' in r).map((r) => (r as { event: number }).event)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('hides block / unblock and the OS sampler until asked, and groups results apart', () => {
    expect(HIDDEN_BY_DEFAULT).toEqual(['block', 'os'])
    expect(KIND_GROUPS.find((g) => g.id === 'result')).toMatchObject({ label: 'results', kinds: [] })
  })
})

describe('LogIndex', () => {
  const filters = [
    { kinds: null, conns: null },
    { kinds: new Set(['recv', 'send']), conns: null },
    { kinds: null, conns: new Set(['3>2', '5>2']) },
  ]

  it('kept up batch by batch, gives what filterLog of the whole store gives — with a late batch, a new filter and a clear', () => {
    for (const filter of filters) {
      const store = new EventStore()
      const index = new LogIndex()
      const events = [...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10, 502)].sort((a, b) => a.t - b.t)
      for (let i = 0; i < events.length; i += 3) {
        store.append(events.slice(i, i + 3))
        expect(Array.from(index.update(store, filter))).toEqual(Array.from(filterLog(store, filter)))
      }
      // A connection the filter named before its first event, then events earlier than the last read.
      store.append(forkConnection('5>2', 100_000, 503))
      store.append(forkConnection('7>2', 5, 504))
      expect(Array.from(index.update(store, filter))).toEqual(Array.from(filterLog(store, filter)))
      expect(Array.from(index.update(store, filters[1]!))).toEqual(Array.from(filterLog(store, filters[1]!)))
      // Cleared to fewer events than were read.
      store.clear()
      store.append(forkConnection('3>2', 0, 505).slice(0, 4))
      expect(Array.from(index.update(store, filter))).toEqual(Array.from(filterLog(store, filter)))
    }
  })
})
