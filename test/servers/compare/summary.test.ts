import { describe, expect, it } from 'vitest'
import type { EventSource, SockscopeEvent } from '../../../src/servers/events.ts'
import { clientLatencies, handlerStarts, lostUpdates, percentile, processPeaks, summarize } from '../../../src/servers/compare/summary.ts'

const server = (pid = 100, tid = 0, run = 's1'): EventSource => ({ role: 'server', run, pid, tid })
const client = (run = 'c2'): EventSource => ({ role: 'client', run, pid: 200, tid: 0 })
const os = (run = 's1'): EventSource => ({ role: 'os', run, pid: 1, tid: 0 })
const ev = (kind: SockscopeEvent['kind'], t: number, src: EventSource, fields: Record<string, unknown> = {}) => ({ kind, t, src, ...fields }) as unknown as SockscopeEvent
const S = 1e6

/** One client's connection: connect at `at`, the server's accept after `wait`, both sides closed `latency` after the connect. */
function connection(conn: string, at: number, latency: number, wait = 0, runs = { server: 's1', client: 'c2' }): SockscopeEvent[] {
  return [
    ev('connect', at, client(runs.client), { conn, local: '127.0.0.1:1', remote: '127.0.0.1:2', handshakeUs: 40 }),
    ev('queued', at + 10, server(100, 0, runs.server), { conn, depth: 1 }),
    ev('accept', at + 10 + wait, server(100, 0, runs.server), { conn, remote: '127.0.0.1:1', waitedUs: wait }),
    ev('close', at + latency - 5, server(100, 0, runs.server), { conn, by: 'peer' }),
    ev('close', at + latency, client(runs.client), { conn, by: 'local' }),
  ]
}

describe('percentile', () => {
  it('is nearest-rank: p50 of 1..4 is 2, p95 is 4; none is 0', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2)
    expect(percentile([1, 2, 3, 4], 95)).toBe(4)
    expect(percentile([7], 50)).toBe(7)
    expect(percentile([], 95)).toBe(0)
  })
})

describe('summarize', () => {
  // Four clients of a server that serves one at a time, 1 s each: the classic iterative picture.
  const serial = [0, 1, 2, 3].flatMap((i) => connection(`c${i}`, i * 1000, (i + 1) * S, i * S))

  it('totals the first connect to the last close, and takes p50 / p95 / max of the clients', () => {
    const s = summarize(serial, 'iterative', 's1', 'c2')
    expect(s.model).toBe('iterative')
    expect(s.clients).toBe(4)
    expect(s.totalS).toBeCloseTo(4 + 0.003, 6)
    expect(s.latency).toEqual({ p50: 2, p95: 4, max: 4 })
    expect(s.longestQueueWaitS).toBe(3)
  })

  it('counts only its own runs: another model in the same recording does not leak in', () => {
    const other = connection('x', 0, 9 * S, 8 * S, { server: 's3', client: 'c4' })
    const s = summarize([...serial, ...other], 'iterative', 's1', 'c2')
    expect(s.latency.max).toBe(4)
    expect(s.longestQueueWaitS).toBe(3)
    expect(summarize([...serial, ...other], 'fork', 's3', 'c4').latency.max).toBe(9)
  })

  it('leaves a client that has not closed out of the latencies, but not out of the total', () => {
    const open = [ev('connect', 0, client(), { conn: 'a' }), ev('connect', 2 * S, client(), { conn: 'b' }), ev('close', 3 * S, client(), { conn: 'a' })]
    const s = summarize(open, 'thread', 's1', 'c2')
    expect(s.clients).toBe(1)
    expect(s.latency.max).toBe(3)
    expect(s.totalS).toBe(3)
    expect([...clientLatencies(open, 'c2')]).toEqual([['a', 3 * S]])
  })

  it('is all zeros and nulls for a run with no events', () => {
    expect(summarize([], 'select', 's1', 'c2')).toEqual({
      model: 'select', totalS: 0, latency: { p50: 0, p95: 0, max: 0 }, clients: 0, longestQueueWaitS: 0, longestHandlerStartS: 0,
      peakProcesses: 0, peakThreads: 0, peakRssBytes: null, cpuMs: null, lostUpdates: null,
    })
  })
})

describe('handlerStarts', () => {
  it('times each connection from its accept to its first event in another process or thread: none for a serial server', () => {
    const forked = [
      ev('accept', 100, server(100), { conn: 'a', waitedUs: 0 }),
      ev('fork', 200, server(100), { conn: 'a', childPid: 101 }),
      ev('block', 150_100, server(101), { conn: 'a', on: 'sleep' }),
      ev('accept', 300, server(100, 0, 's3'), { conn: 'b', waitedUs: 0 }),
      ev('thread-start', 310, server(100, 0, 's3'), { conn: 'b', threadId: 4 }),
      ev('block', 400, server(100, 4, 's3'), { conn: 'b', on: 'sleep' }),
    ]
    expect([...handlerStarts(forked, 's1')]).toEqual([['a', 150_000]])
    expect([...handlerStarts(forked, 's3')]).toEqual([['b', 100]])
    expect(summarize(forked, 'fork', 's1', 'c2').longestHandlerStartS).toBe(0.15)
    expect(handlerStarts([...connection('x', 0, S)], 's1').size).toBe(0)
  })
})

describe('processPeaks', () => {
  it('peaks over the tree at one sample, and sums each process’s last CPU reading, gone ones included', () => {
    const proc = (t: number, pid: number, change: string, fields: Record<string, unknown> = {}) => ev('proc', t, os(), { pid, ppid: 1, change, state: 'S', command: 'node', ...fields })
    const events = [
      proc(0, 100, 'appeared', { threads: 7, rssBytes: 50e6, cpuMs: 100 }),
      proc(10, 101, 'appeared', { threads: 7, rssBytes: 40e6, cpuMs: 20 }),
      proc(20, 102, 'appeared', { threads: 7, rssBytes: 40e6, cpuMs: 30 }),
      proc(30, 101, 'usage', { cpuMs: 60 }),
      proc(40, 101, 'gone'),
      proc(50, 102, 'gone'),
      proc(60, 100, 'usage', { rssBytes: 60e6, cpuMs: 150 }),
      // Another run's process is another model's.
      proc(70, 300, 'appeared', { threads: 30, rssBytes: 900e6, cpuMs: 5000 }),
    ].map((e, i) => (i === 7 ? { ...e, src: os('s9') } : e))
    expect(processPeaks(events, 's1')).toEqual({ peakProcesses: 3, peakThreads: 21, peakRssBytes: 130e6, cpuMs: 150 + 60 + 30 })
  })
})

describe('lostUpdates', () => {
  const state = (t: number, conn: string, access: 'read' | 'write', value: number, memory = 'shared', pid = 100) =>
    ev('state', t, server(pid), { conn, access, key: 'jack', value, memory })

  it('is 0 when every update is made on the latest value (one at a time, or under the lock)', () => {
    const events = [state(0, 'a', 'read', 0), state(1, 'a', 'write', 1), state(2, 'b', 'read', 1), state(3, 'b', 'write', 2), state(9, 'audit', 'read', 2)]
    expect(lostUpdates(events, 's1')).toBe(0)
  })

  it('counts a write made on a stale read: two deposits read 0, both write 1, one is lost', () => {
    const events = [state(0, 'a', 'read', 0), state(1, 'b', 'read', 0), state(2, 'a', 'write', 1), state(3, 'b', 'write', 1), state(9, 'audit', 'read', 1)]
    expect(lostUpdates(events, 's1')).toBe(1)
  })

  it('counts every update made in a forked child’s own copy: the audit reads the parent’s value', () => {
    const events = [
      state(0, 'a', 'read', 0, 'copy', 101), state(1, 'a', 'write', 1, 'copy', 101),
      state(2, 'b', 'read', 0, 'copy', 102), state(3, 'b', 'write', 1, 'copy', 102), state(4, 'b', 'read', 1, 'copy', 102), state(5, 'b', 'write', 2, 'copy', 102),
      state(9, 'audit', 'read', 0, 'copy', 103),
    ]
    expect(lostUpdates(events, 's1')).toBe(3)
  })

  it('counts a withdrawal as the update it is, and is null for an app that writes nothing', () => {
    const events = [state(0, 'a', 'read', 2), state(1, 'b', 'read', 2), state(2, 'a', 'write', 1), state(3, 'b', 'write', 3), state(9, 'audit', 'read', 3)]
    // a withdrew (2 → 1), b deposited on the stale 2 (→ 3): the withdrawal is lost.
    expect(lostUpdates(events, 's1')).toBe(1)
    expect(lostUpdates([state(0, 'a', 'read', 5)], 's1')).toBeNull()
    expect(lostUpdates(events, 's2')).toBeNull()
  })
})
