import { describe, expect, it } from 'vitest'
import type { RunInfo } from '../../../src/servers/web/protocol.ts'
import { deriveProcess, deriveThread } from '../../../src/renderer/model/derive.ts'
import { osTableOf } from '../../../src/renderer/model/os-view.ts'
import { compareWithOs, modelledZombieNote, observedGroup, observedGroups, osTree, processRows } from '../../../src/renderer/model/process-table.ts'
import { ev, forkConnection, items, osSocket, procEvent, server, socketsEvent } from '../events.ts'

const run = (over: Partial<RunInfo>): RunInfo => ({ id: 's1', kind: 'server', pid: 100, state: 'running', spec: { model: 'fork', reap: 'on-accept' }, ports: [2], startedAt: 0, endedAt: null, ...over })
const procs = (events: ReturnType<typeof forkConnection>, pids: number[]) =>
  pids.map((pid) => deriveProcess(pid, items(events.filter((e) => e.src.pid === pid || (e as { childPid?: number }).childPid === pid))))

describe('processRows', () => {
  const events = [...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10, 502)]
  const live = events.filter((e) => e.t < 1e6)

  it('lists the lab, each server and its children like ps -f: pid, ppid, role, state', () => {
    const rows = processRows({
      labPid: 9,
      host: 'web',
      runs: [run({}), run({ id: 'c2', kind: 'clients', pid: 200, spec: { workload: 'burst', count: 2 } })],
      processes: procs(live, [100, 501, 502, 200]),
      threads: [],
      connIndex: new Map([['1>2', 1], ['3>2', 2]]),
    })
    expect(rows.map((r) => [r.pid, r.ppid, r.kind, r.state, r.role])).toEqual([
      [9, null, 'lab', 'running', 'lab (web host)'],
      [100, 9, 'server', 'running', 'server s1 · fork :2'],
      [501, 100, 'child', 'sleeping', 'child for #1'],
      [502, 100, 'child', 'sleeping', 'child for #2'],
      [200, 9, 'client', 'running', 'clients c2 · burst ×2'],
    ])
    expect(rows[2]!.detail).toBe('on sleep')
    expect(rows[2]!.laneKey).toBe('proc:501')
  })

  it('turns exited children into zombies until their reap, then reaped', () => {
    const reap = ev('reap', 9e6, server(100), { childPid: 501, conn: '1>2', policy: 'on-accept', trigger: 'accept', zombieUs: 1, modelled: true })
    const rows = processRows({ labPid: 9, host: 'web', runs: [run({})], processes: procs([...events, reap], [100, 501, 502]), threads: [], connIndex: new Map() })
    const child = (pid: number) => rows.find((r) => r.pid === pid)!
    expect(child(501)).toMatchObject({ state: 'reaped', detail: 'on accept', threads: 0 })
    expect(child(502)).toMatchObject({ state: 'zombie', detail: 'until reaped (on-accept)' })
  })

  it('shows a stopped server as exited, and counts a thread server’s threads', () => {
    const t = deriveThread(100, 3, items([ev('thread-start', 5, server(100, 3), { conn: '1>2', threadId: 3 })]))
    const proc = deriveProcess(100, items([ev('thread-start', 5, server(100, 3), { conn: '1>2', threadId: 3 })]))
    const running = processRows({ labPid: null, host: null, runs: [run({ spec: { model: 'thread' } })], processes: [proc], threads: [t], connIndex: new Map([['1>2', 1]]) })
    expect(running.map((r) => [r.kind, r.threads, r.role])).toEqual([
      ['server', 2, 'server s1 · thread :2'],
      ['thread', null, 'thread for #1'],
    ])
    const stopped = processRows({ labPid: null, host: null, runs: [run({ state: 'stopped', endedAt: 10 })], processes: [proc], threads: [t], connIndex: new Map() })
    expect(stopped.map((r) => r.state)).toEqual(['exited', 'exited'])
  })
})

describe('the OS view beside the model', () => {
  const events = [...forkConnection('1>2', 0, 501), ...forkConnection('3>2', 10, 502)]
  const never = run({ spec: { model: 'fork', reap: 'never' } })
  const node = { command: 'node server-host.ts' }

  it('marks the fork model’s modelled zombie: the model says zombie, the OS says gone — Node reaped at once', () => {
    const os = osTableOf([
      procEvent(0, 'appeared', 100, 9, 'S', { ...node, threads: 11 }, 's1'),
      procEvent(2100, 'appeared', 501, 100, 'S', node, 's1'),
      procEvent(2200, 'appeared', 502, 100, 'S', node, 's1'),
      procEvent(5.2e6, 'gone', 501, 100, 'S', node, 's1'),
      procEvent(5.2e6, 'gone', 502, 100, 'S', node, 's1'),
    ])
    const rows = processRows({ labPid: 9, host: 'web', runs: [never], processes: procs(events, [100, 501, 502]), threads: [], connIndex: new Map(), os })
    const child = rows.find((r) => r.pid === 501)!
    expect(child).toMatchObject({ state: 'zombie', detail: 'until reaped (never)' })
    expect(child.os?.goneT).toBe(5.2e6)
    expect(child.osDiff).toMatchObject({ kind: 'modelled-zombie', text: 'gone — Node reaped at once' })
    expect(child.osDiff!.why).toContain('reap policy (never)')
    // The server: alive in both views; the kernel counts Node's own threads, which is no difference.
    const serverRow = rows.find((r) => r.kind === 'server')!
    expect(serverRow.os?.latest.threads).toBe(11)
    expect(serverRow.osDiff).toBeNull()
    expect(rows.find((r) => r.kind === 'lab')!.os).toBeNull()
    expect(modelledZombieNote(rows)).toMatch(/^Node's runtime reaped these 2 children the moment they exited.*what reap=never would leave/)
    expect(modelledZombieNote(rows.filter((r) => r.kind !== 'child'))).toBeNull()
  })

  it('compares lifecycles only: gone while the model runs, zombie in the kernel, listed after the model’s end', () => {
    const os = osTableOf([procEvent(0, 'appeared', 7, 1, 'S', {}, 's1'), procEvent(0, 'appeared', 8, 1, 'Z', {}, 's1'), procEvent(0, 'appeared', 6, 1, 'Z', {}, 's1'), procEvent(1, 'gone', 6, 1, 'Z', {}, 's1')])
    const row = (state: 'running' | 'sleeping' | 'zombie' | 'reaped' | 'exited', pid: number) => ({ kind: 'child' as const, state, pid })
    expect(compareWithOs(row('sleeping', 7), os.get(7)!)).toBeNull()
    expect(compareWithOs(row('running', 6), os.get(6)!)).toMatchObject({ kind: 'gone' })
    expect(compareWithOs(row('sleeping', 8), os.get(8)!)).toMatchObject({ kind: 'zombie', text: 'zombie — not reaped' })
    expect(compareWithOs(row('zombie', 8), os.get(8)!)).toBeNull() // a real zombie: both agree
    expect(compareWithOs(row('reaped', 6), os.get(6)!)).toBeNull()
    expect(compareWithOs(row('exited', 7), os.get(7)!)).toMatchObject({ kind: 'alive', text: 'still listed (S)' })
    expect(compareWithOs(row('exited', 7), null)).toBeNull()
    expect(compareWithOs({ kind: 'thread', state: 'running', pid: 6 }, os.get(6)!)).toBeNull()
  })

  it('calls an OS reading from before the end the model saw stale, not a difference', () => {
    // The child exited at ~5.16 s (its exit event); the sampler last saw it at 5.1 s, asleep.
    const os = osTableOf([procEvent(2100, 'appeared', 501, 100, 'S', node, 's1'), procEvent(5.1e6, 'changed', 501, 100, 'S', { ...node, threads: 7 }, 's1'), procEvent(0, 'appeared', 200, 9, 'S', node, 'c2')])
    const clients = run({ id: 'c2', kind: 'clients', pid: 200, state: 'finished', endedAt: 10, spec: { workload: 'burst' } })
    const rows = processRows({ labPid: 9, host: 'web', runs: [never, clients], processes: procs(events, [100, 501, 502, 200]), threads: [], connIndex: new Map(), os })
    expect(rows.find((r) => r.pid === 501)).toMatchObject({ state: 'zombie', osStale: true, osDiff: null })
    expect(rows.find((r) => r.pid === 200)).toMatchObject({ state: 'exited', osStale: true, osDiff: null })
    // A reading after the end that still lists it alive is a difference.
    const later = osTableOf([procEvent(20, 'appeared', 200, 9, 'S', node, 'c2')])
    const again = processRows({ labPid: 9, host: 'web', runs: [clients], processes: [], threads: [], connIndex: new Map(), os: later })
    expect(again.find((r) => r.pid === 200)).toMatchObject({ osStale: false, osDiff: { kind: 'alive' } })
  })

  it('lists processes the kernel shows in a run’s tree that no event speaks of, while they exist', () => {
    const os = osTableOf([
      procEvent(0, 'appeared', 100, 9, 'S', node, 's1'),
      procEvent(10, 'appeared', 777, 100, 'S', { command: 'sh -c helper' }, 's1'),
      procEvent(10, 'appeared', 778, 100, 'R', { command: 'gone soon' }, 's1'),
      procEvent(20, 'gone', 778, 100, 'R', { command: 'gone soon' }, 's1'),
      procEvent(10, 'appeared', 501, 100, 'S', node, 's1'),
    ])
    const rows = processRows({ labPid: 9, host: 'web', runs: [never], processes: procs(events.filter((e) => e.t < 1e6), [100, 501, 502]), threads: [], connIndex: new Map(), os })
    expect(rows.map((r) => [r.kind, r.pid, r.state])).toEqual([
      ['lab', 9, 'running'],
      ['server', 100, 'running'],
      ['child', 501, 'sleeping'],
      ['child', 502, 'sleeping'],
      ['os', 777, 'sleeping'],
    ])
    expect(rows.at(-1)).toMatchObject({ ppid: 100, depth: 2, role: 'OS only · sh -c helper', laneKey: null })
  })
})

describe('observed runs, from the OS alone', () => {
  const observed: RunInfo = { id: 'o3', kind: 'observed', pid: 300, state: 'running', spec: { pid: 300, command: 'python3 fork_server_noreap.py' }, startedAt: 0, endedAt: null }
  const zombie = { command: '[python3] <defunct>' }
  const events = [
    procEvent(0, 'appeared', 300, 1, 'S'),
    socketsEvent(0, 300, [osSocket('127.0.0.1:7000', '0.0.0.0:0', 'LISTEN', { acceptQueue: 0 })]),
    procEvent(100, 'appeared', 301, 300, 'S', { startTime: 2 }),
    procEvent(110, 'appeared', 302, 300, 'S', { startTime: 3 }),
    procEvent(120, 'appeared', 303, 300, 'S', { startTime: 4 }),
    socketsEvent(120, 303, [osSocket('127.0.0.1:7000', '127.0.0.1:50000', 'ESTABLISHED', { rxQueue: 6 })]),
    procEvent(130, 'appeared', 310, 303, 'S', { startTime: 5, command: 'sleep 60' }),
    procEvent(200, 'changed', 301, 300, 'Z', { ...zombie, startTime: 2 }),
    procEvent(210, 'changed', 302, 300, 'Z', { ...zombie, startTime: 3 }),
  ]

  it('builds the tree by ppid like ps -f --forest, with zombies as zombies', () => {
    const group = observedGroup(observed, osTableOf(events).ofRun('o3'), osTableOf(events).sockets)
    expect(group.rows.map((r) => [r.pid, r.ppid, r.depth, r.state, r.os!.latest.state, r.role])).toEqual([
      [300, 1, 0, 'sleeping', 'S', 'python3 fork_server_noreap.py'],
      [301, 300, 1, 'zombie', 'Z', '[python3] <defunct>'],
      [302, 300, 1, 'zombie', 'Z', '[python3] <defunct>'],
      [303, 300, 1, 'sleeping', 'S', 'python3 fork_server_noreap.py'],
      [310, 303, 2, 'sleeping', 'S', 'sleep 60'],
    ])
    expect(group.rows[1]).toMatchObject({ kind: 'observed', detail: 'exited, not reaped by its parent', osDiff: null })
    expect(group).toMatchObject({ zombies: 2, alive: 3, hiddenGone: 0, ports: [{ host: '127.0.0.1', port: 7000 }] })
    expect(group.sockets.rows.map((s) => [s.pid, s.state, s.acceptQueue, s.rxQueue])).toEqual([
      [300, 'LISTEN', 0, 0],
      [303, 'ESTABLISHED', null, 6],
    ])
  })

  it('marks zombies reaped once the kernel stops listing them, and processes that just end as gone', () => {
    const later = [...events, procEvent(400, 'gone', 301, 300, 'Z', { ...zombie, startTime: 2 }), procEvent(400, 'gone', 302, 300, 'Z', { ...zombie, startTime: 3 }), procEvent(400, 'gone', 310, 303, 'S', { command: 'sleep 60', startTime: 5 })]
    const os = osTableOf(later)
    const [group] = observedGroups([observed, { ...observed, id: 's1', kind: 'server' }], os)
    const state = (pid: number) => group!.rows.find((r) => r.pid === pid)
    expect(state(301)).toMatchObject({ state: 'reaped', detail: 'gone: reaped', threads: null })
    expect(state(310)).toMatchObject({ state: 'exited', detail: 'gone' })
    expect(group!.zombies).toBe(0)
    // Gone processes beyond the limit are left out, counted.
    const short = observedGroup(observed, os.ofRun('o3'), os.sockets, { maxGone: 1 })
    expect(short.rows.map((r) => r.pid)).toEqual([300, 301, 303])
    expect(short.hiddenGone).toBe(2)
  })

  it('lists orphans (parent not in the tree) after the root, and survives a ppid cycle', () => {
    const os = osTableOf([procEvent(0, 'appeared', 300, 1, 'S'), procEvent(5, 'appeared', 320, 1, 'S', { startTime: 9 }), procEvent(1, 'appeared', 330, 340, 'S'), procEvent(1, 'appeared', 340, 330, 'S')])
    expect(osTree(os.ofRun('o3'), 300).map(({ p, depth }) => [p.pid, depth])).toEqual([
      [300, 0],
      [320, 0],
      [330, 0],
      [340, 1],
    ])
  })
})
