import { describe, expect, it } from 'vitest'
import type { ListeningProcessInfo, RunInfo } from '../../../src/servers/web/protocol.ts'
import { clientTargets, listeningRows, observedBy, parsePid } from '../../../src/renderer/model/observe.ts'
import { shortCommand } from '../../../src/servers/os/command.ts'

const run = (over: Partial<RunInfo>): RunInfo => ({ id: 's1', kind: 'server', pid: 100, state: 'running', spec: { model: 'fork' }, host: '127.0.0.1', ports: [5000], startedAt: 0, endedAt: null, ...over })
const listen = (local: string, acceptQueue = 0) => ({ fd: 3, family: 'tcp' as const, local, remote: '0.0.0.0:0', state: 'LISTEN', rxQueue: acceptQueue, txQueue: 0, acceptQueue })

describe('parsePid', () => {
  it('accepts a positive whole number and says what is wrong otherwise', () => {
    expect(parsePid(' 4242 ')).toEqual({ ok: true, pid: 4242 })
    expect(parsePid('')).toEqual({ ok: false, error: '' })
    expect(parsePid('42a')).toMatchObject({ ok: false, error: expect.stringContaining('whole number') })
    expect(parsePid('-3')).toMatchObject({ ok: false })
    expect(parsePid('0')).toMatchObject({ ok: false, error: 'a PID is 1 or more' })
  })
})

describe('observedBy', () => {
  it('finds the live run that observes a pid, and none once it has stopped', () => {
    const runs = [run({}), run({ id: 'o2', kind: 'observed', pid: 400, state: 'stopped' }), run({ id: 'o3', kind: 'observed', pid: 400 })]
    expect(observedBy(runs, 400)?.id).toBe('o3')
    expect(observedBy(runs.slice(0, 2), 400)).toBeNull()
    // A server the lab runs is not "observed", whatever its pid.
    expect(observedBy(runs, 100)).toBeNull()
  })
})

describe('listeningRows', () => {
  const list: ListeningProcessInfo[] = [
    { pid: 9, ppid: 1, command: 'node sockscope.ts web', listening: [listen('127.0.0.1:4000')] },
    { pid: 100, ppid: 9, command: 'node server-host.ts', listening: [listen('127.0.0.1:5000')] },
    { pid: 300, ppid: 1, command: 'python3 /tmp/fork_server_noreap.py', listening: [listen('127.0.0.1:7001', 2), listen('127.0.0.1:7000', 1)] },
    { pid: 400, ppid: 1, command: 'nginx: master process', listening: [listen('0.0.0.0:80'), listen('[::]:80')] },
  ]

  it('puts other programs first, marks Sockscope’s own and what is already observed', () => {
    const rows = listeningRows(list, [run({}), run({ id: 'o2', kind: 'observed', pid: 400, ports: undefined, spec: { pid: 400, command: 'nginx' } })], 9)
    expect(rows.map((r) => [r.pid, r.ports, r.own, r.observedBy])).toEqual([
      [400, [80], null, 'o2'],
      [300, [7000, 7001], null, null],
      [9, [4000], 'the lab', null],
      [100, [5000], 's1', null],
    ])
    expect(rows[1]!.acceptQueue).toBe(3)
    expect(rows[0]!.addresses).toEqual(['0.0.0.0:80', '[::]:80'])
  })
})

describe('clientTargets', () => {
  it('offers the lab’s servers, then observed processes that listen', () => {
    const observed = run({ id: 'o3', kind: 'observed', pid: 300, ports: undefined, spec: { pid: 300, command: 'python3 /home/me/seeds/fork_server_noreap.py' } })
    const targets = clientTargets([run({})], [
      { run: observed, ports: [{ host: '127.0.0.1', port: 7000 }] },
      { run: run({ id: 'o4', kind: 'observed', pid: 301, spec: {} }), ports: [] },
      { run: run({ id: 'o5', kind: 'observed', state: 'stopped', spec: {} }), ports: [{ host: '127.0.0.1', port: 1 }] },
    ])
    expect(targets).toEqual([
      { id: 's1', run: 's1', kind: 'server', host: '127.0.0.1', port: 5000, label: 's1 · fork · :5000' },
      { id: 'o3', run: 'o3', kind: 'observed', host: '127.0.0.1', port: 7000, label: 'o3 · observed · python3 fork_server_noreap.py · :7000' },
    ])
  })

  // Seed 003's select server listens on two ports: a client form that could reach only the
  // first would hide half of what the server does.
  it('offers every port of a server that listens on several, each a target of its own', () => {
    const select = run({ id: 's7', spec: { model: 'select' }, ports: [46877, 46878] })
    const observed = run({ id: 'o8', kind: 'observed', pid: 300, ports: undefined, spec: { pid: 300, command: 'python3 two.py' } })
    const targets = clientTargets([select], [{ run: observed, ports: [{ host: '127.0.0.1', port: 7000 }, { host: '127.0.0.1', port: 7001 }] }])
    expect(targets.map((t) => [t.id, t.run, t.port, t.label])).toEqual([
      ['s7', 's7', 46877, 's7 · select · :46877 (port 1 of 2)'],
      ['s7:46878', 's7', 46878, 's7 · select · :46878 (port 2 of 2)'],
      ['o8', 'o8', 7000, 'o8 · observed · python3 two.py · :7000 (port 1 of 2)'],
      ['o8:7001', 'o8', 7001, 'o8 · observed · python3 two.py · :7001 (port 2 of 2)'],
    ])
    expect(new Set(targets.map((t) => t.id)).size).toBe(targets.length)
    // A server whose ports are not known yet is no target.
    expect(clientTargets([run({ ports: [] })], [])).toEqual([])
  })

  it('shortens commands to their programs’ names', () => {
    expect(shortCommand('/usr/bin/python3 /a/b/server.py --port 80')).toBe('python3 server.py --port 80')
    expect(shortCommand('x'.repeat(60), 10)).toBe('xxxxxxxxx…')
  })
})
