import { describe, expect, it } from 'vitest'
import { kindCode, KINDS, OTHER_KIND } from '../../../src/renderer/model/event-store.ts'
import type { Phase } from '../../../src/renderer/model/derive.ts'
import { describePhase, phaseName, summarize } from '../../../src/renderer/model/describe.ts'
import { client, ev, server } from '../events.ts'

const os = { role: 'os' as const, run: 's1', pid: 1, tid: 0 }

describe('summarize (the log and tooltip line)', () => {
  it("says whose memory a bank balance lives in: a forked child's copy is not the others'", () => {
    expect(summarize(ev('state', 1, server(), { access: 'write', key: 'jack', value: 3, memory: 'copy' }))).toBe("writes jack = 3 (this child's own copy)")
    expect(summarize(ev('state', 1, server(), { access: 'read', key: 'jack', value: 2, memory: 'shared' }))).toBe('reads jack = 2 (shared by the threads)')
  })

  it('reads an OS sample: a state change with its letter, a usage update with CPU and memory', () => {
    expect(summarize(ev('proc', 1, os, { change: 'changed', pid: 42, ppid: 1, state: 'Z', threads: 1, command: '[python3] <defunct>' }))).toBe(
      'OS: pid 42 changed, state Z, 1 threads: [python3] <defunct>',
    )
    expect(summarize(ev('proc', 1, os, { change: 'usage', pid: 42, ppid: 1, state: 'R', threads: 7, command: 'node', cpuPercent: 97.5, rssBytes: 52 * 1048576 }))).toBe(
      'OS: pid 42 uses 97.5% CPU, 52 MB',
    )
  })

  it('gives every kind of the event union its own column code', () => {
    expect(kindCode('state')).not.toBe(OTHER_KIND)
    expect(new Set(KINDS.map(kindCode)).size).toBe(KINDS.length)
  })
})

describe('what a close, a wait and a phase say', () => {
  it('names a reset on the side that sent it and on the side that saw it', () => {
    expect(summarize(ev('close', 1, client(), { conn: '1>2', by: 'local', reset: 'sent' }))).toMatch(/^reset by this side \(RST, not FIN\)/)
    expect(summarize(ev('close', 1, server(), { conn: '1>2', by: 'error', reset: 'received' }))).toBe('reset by the peer (RST): ECONNRESET')
    expect(summarize(ev('close', 1, client(), { conn: '1>2', by: 'local' }))).toBe('closed by this side')
  })

  it('tells a loop’s wait in select() from a task’s wait and from a thread’s blocking call', () => {
    expect(summarize(ev('block', 1, server(), { on: 'select', sockets: 3, timeoutMs: 200 }))).toBe('waits in select() on 3 sockets, 200 ms at most')
    expect(summarize(ev('block', 1, server(), { on: 'select', sockets: 1 }))).toBe('waits in select() on 1 socket')
    expect(summarize(ev('block', 1, server(), { conn: '1>2', on: 'recv', waiter: 'task' }))).toBe('waits for bytes (this connection only; the loop goes on)')
    expect(summarize(ev('block', 1, server(), { conn: '1>2', on: 'send' }))).toBe('blocked on send: the peer is not reading')
  })

  const at = (p: Partial<Phase>): Phase => ({ kind: 'sleeping', start: 1_000_000, end: 16_070_000, seq: 0, ...p })
  const label = (conn: string) => (conn === '1>2' ? '#1' : undefined)

  it('an idle loop: waiting in select() on its sockets, not blocked on a connection’s sleep', () => {
    const d = describePhase(at({ on: 'select', sockets: 1, end: null }), { kind: 'loop', title: 'event loop pid 7' }, 0, 16_070_000, label)
    expect(d.title).toBe('event loop pid 7 — waiting in select() on 1 socket')
    expect(d.rows).toContainEqual(['for', '15.07 s (so far)'])
    expect(d.rows).toContainEqual(['until', 'one of them is ready'])
    expect(phaseName(at({ on: 'select', sockets: 4 }), { kind: 'loop' })).toBe('select · 4 sockets')
  })

  it('a loop stuck in one connection’s send names it, and says that it stalls everyone', () => {
    const d = describePhase(at({ on: 'send', conn: '1>2' }), { kind: 'loop', title: 'event loop pid 7' }, 0, 16_070_000, label)
    expect(d.title).toBe('event loop pid 7 — blocked in send to #1: the peer is not reading')
    expect(d.rows.find(([k]) => k === 'stalls')?.[1]).toMatch(/every connection/)
    expect(d.rows.find(([k]) => k === 'why')?.[1]).toMatch(/buffers toward the client are full/)
    expect(phaseName(at({ on: 'sleep', conn: '1>2' }), { kind: 'loop' }, label)).toBe('sleep #1')
  })

  it('an asyncio task awaits; a parked select handler waits for bytes; a thread is blocked', () => {
    const sleep: Phase = { kind: 'blocked', on: 'sleep', task: true, start: 0, end: 400_000, seq: 0 }
    expect(describePhase(sleep, { kind: 'conn', title: '#1 :5000', task: 'Task-1' }, 0, 400_000).title).toBe('#1 :5000 — await sleep')
    expect(phaseName(sleep, { kind: 'conn', task: 'Task-1' })).toBe('await sleep')
    const parked: Phase = { kind: 'blocked', on: 'recv', task: true, start: 0, end: 1, seq: 0 }
    const d = describePhase(parked, { kind: 'conn', title: '#2 :5001', task: null }, 0, 1)
    expect(d.title).toBe('#2 :5001 — waits for bytes')
    expect(d.rows).toContainEqual(['who waits', 'only this connection: the loop serves the others'])
    const blocked = describePhase({ ...sleep, task: undefined }, { kind: 'conn', title: '#3 :5002' }, 0, 400_000)
    expect(blocked.title).toBe('#3 :5002 — blocked on sleep')
  })

  it("a thread blocked on send: the peer is not reading, with what the kernel held unsent", () => {
    const send: Phase = { kind: 'blocked', on: 'send', start: 1_000_000, end: null, seq: 0 }
    const queue = { bytes: 2_626_560, t: 2_500_000, pid: 7 }
    const d = describePhase(send, { kind: 'conn', title: '#1 :5000' }, 0, 3_000_000, label, { sendQueue: queue })
    expect(d.title).toBe('#1 :5000 — blocked on send: the peer is not reading')
    expect(d.rows).toContainEqual(['send queue', '2.6 MB unsent in the kernel (OS sample at 2.500 s)'])
    // Without a sample, it says nothing of the kernel rather than a zero.
    expect(describePhase(send, { kind: 'conn', title: '#1 :5000' }, 0, 3_000_000).rows.some(([k]) => k === 'send queue')).toBe(false)
    // An asyncio task's own wait for room says the same of the peer.
    expect(describePhase({ ...send, task: true }, { kind: 'conn', title: '#2 :5001', task: null }, 0, 3_000_000).title).toBe('#2 :5001 — waits for room to send: the peer is not reading')
  })

  it('a server at its cap of live children holds off accepting; the next connections queue', () => {
    expect(summarize(ev('block', 1, server(), { on: 'accept', cause: 'at-cap', limit: 4 }))).toBe('holds off accepting: it serves 4 connections at once, its cap')
    const d = describePhase(at({ on: 'accept', cause: 'at-cap', limit: 4 }), { kind: 'server', title: 'server pid 7' }, 0, 16_070_000)
    expect(d.title).toBe('server pid 7 — holding off accept(): it serves 4 connections at once, its cap')
    expect(d.rows.find(([k]) => k === 'what')?.[1]).toMatch(/wait in the accept queue/)
    expect(phaseName(at({ on: 'accept', cause: 'at-cap', limit: 4 }), { kind: 'server' })).toBe('at its cap · 4')
    expect(describePhase(at({ on: 'accept' }), { kind: 'server', title: 'server pid 7' }, 0, 1).title).toBe('server pid 7 — blocked in accept()')
  })

  it('a ready connection waits for its loop', () => {
    const d = describePhase({ kind: 'ready', on: 'recv', task: true, start: 0, end: 300_000, seq: 0 }, { kind: 'conn', title: '#2 :5001' }, 0, 300_000)
    expect(d.title).toBe('#2 :5001 — ready, waiting for the loop')
  })

  it('a workload’s process runs its clients; it does not claim to be busy itself', () => {
    const d = describePhase({ kind: 'running', start: 0, end: null, seq: 0 }, { kind: 'clients', title: 'c2 burst ×3 · pid 9' }, 0, 1e6)
    expect(d.title).toBe('c2 burst ×3 · pid 9 — the workload runs')
    expect(describePhase({ kind: 'running', start: 0, end: 1, seq: 0 }, { kind: 'server', title: 'server pid 7' }, 0, 1).title).toBe('server pid 7 — running')
  })
})

describe('what a fork or a thread start done ahead of time says of itself', () => {
  const measured = { us: 1787, call: 'os.fork()', by: 'Python 3.11 on this machine, median of 21' }
  it('names the spare, its own start off the accept path, and the measured cost of the call it stands for', () => {
    expect(summarize(ev('fork', 1, server(), { conn: '1>2', childPid: 42, spare: { startedAt: 0, startUs: 172_000, pool: 8 }, modelledStart: measured }))).toBe(
      'forked child pid 42 · a pre-forked spare (8 kept ready): its own start took 172 ms, before this connection, off the accept path; a fork() here costs ~1.8 ms (measured: os.fork() in Python 3.11 on this machine, median of 21)',
    )
    expect(summarize(ev('thread-start', 1, server(), { conn: '1>2', threadId: 3, osTid: 5151, spare: { startedAt: 0, pool: 8 } }))).toBe(
      "thread 3 (OS thread 5151) started · a parked thread (8 kept ready): it was still starting, off the accept path; a thread start's own cost was not measured (no python3)",
    )
  })

  it('says when the start was for this connection, on its accept path, and stays plain for a recording from before spares', () => {
    expect(summarize(ev('fork', 1, server(), { conn: '1>2', childPid: 42, modelledStart: measured }))).toMatch(
      /^forked child pid 42 · started for this connection, its start \(Node's, a V8 isolate booting\) on the accept path; a fork\(\) here costs ~/,
    )
    expect(summarize(ev('fork', 1, server(), { conn: '1>2', childPid: 42 }))).toBe('forked child pid 42')
    expect(summarize(ev('thread-start', 1, server(), { conn: '1>2', threadId: 3 }))).toBe('thread 3 started')
  })
})
