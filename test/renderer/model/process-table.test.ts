import { describe, expect, it } from 'vitest'
import type { RunInfo } from '../../../src/servers/web/protocol.ts'
import { deriveProcess, deriveThread } from '../../../src/renderer/model/derive.ts'
import { processRows } from '../../../src/renderer/model/process-table.ts'
import { ev, forkConnection, items, server } from '../events.ts'

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
