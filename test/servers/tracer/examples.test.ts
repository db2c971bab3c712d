import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { Lab, type TracedRun } from '../../../src/servers/lab/lab.ts'
import { canBind } from '../../helpers/ports.ts'
import { isAlive, waitUntil } from '../../helpers/lab-run.ts'
import { EXAMPLES, pythonWith } from './python.ts'

/**
 * Each of docs/examples traced under strace while Sockscope's own clients drive it: the
 * same connection ids on both sides, and what each server's mechanism really does (real
 * child processes and reaps, threads, select's ready sets, the bank's lost updates).
 * One lab for the file; each server is traced once.
 */
let lab: Lab
const events: SockscopeEvent[] = []
const wakers = new Set<() => void>()

beforeAll(() => {
  lab = new Lab()
  lab.onEvents((batch) => {
    events.push(...batch)
    for (const wake of wakers) wake()
  })
})
afterAll(() => lab.stop(), 20_000)

const of = <K extends SockscopeEvent['kind']>(run: string, kind: K) =>
  events.filter((e): e is Extract<SockscopeEvent, { kind: K }> => e.kind === kind && e.src.run === run)

function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const test = () => {
      if (!check()) return
      clearTimeout(timer)
      wakers.delete(test)
      resolve()
    }
    const timer = setTimeout(() => {
      wakers.delete(test)
      reject(new Error(`timed out (${events.length} events)`))
    }, timeoutMs)
    wakers.add(test)
    test()
  })
}

async function trace(script: string, args: string[], module?: string): Promise<TracedRun> {
  const run = await lab.startTrace({ command: [pythonWith(module), path.join(EXAMPLES, script), ...args] })
  await until(() => run.ports.length > 0)
  return run
}

/** Two free consecutive ports, for the select server's --port and --port + 1. */
async function twoFreePorts(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000)
    if ((await canBind(port)) && (await canBind(port + 1))) return port
  }
  throw new Error('no two free consecutive ports')
}

async function burst(port: number, count = 3) {
  const run = await lab.runClients({ workload: 'burst', port, count, words: ['Hello', 'world'] })
  const results = await run.results
  expect(results.filter((r) => r.error)).toEqual([])
  return results.map((r) => r.conn!)
}

/** Until every one of `conns` has had a `kind` event in the run (a python3 that is a pyenv shim forks and reaps its own helpers first). */
const forEach = (run: string, kind: SockscopeEvent['kind'], conns: string[]) =>
  until(() => conns.every((c) => events.some((e) => e.src.run === run && e.kind === kind && 'conn' in e && e.conn === c)))

/** Each client's connection, on the server side: accept, its recvs and sends, one close. */
function expectServed(run: string, conns: string[]) {
  for (const conn of conns) {
    const kinds = events.filter((e) => e.src.run === run && 'conn' in e && e.conn === conn).map((e) => e.kind)
    expect(kinds.filter((k) => ['accept', 'recv', 'send', 'close'].includes(k)), conn).toEqual(['accept', 'recv', 'send', 'recv', 'send', 'close'])
    // The client side saw the same connection id.
    expect(events.some((e) => e.src.role === 'client' && e.kind === 'connect' && e.conn === conn)).toBe(true)
  }
}

describe('tracing the example servers', () => {
  it('fork server: a child per client, its exit, and a real reap on the next accept after a zombie interval', async () => {
    const run = await trace('fork-server.py', ['--port', '0', '--delay', '0.2'])
    const first = await burst(run.ports[0]!, 3)
    await forEach(run.id, 'exit', first)
    const [late] = await burst(run.ports[0]!, 1)
    await forEach(run.id, 'reap', first)
    await forEach(run.id, 'close', [late!])
    expectServed(run.id, [...first, late!])
    const forks = of(run.id, 'fork').filter((f) => f.conn)
    expect(forks.map((f) => f.conn)).toEqual([...first, late])
    expect(new Set(forks.map((f) => f.childPid)).size).toBe(4)
    for (const f of forks) expect(events.find((e) => e.kind === 'recv' && e.src.run === run.id && e.conn === f.conn)!.src.pid).toBe(f.childPid)
    const reaps = of(run.id, 'reap')
    for (const r of reaps.filter((r) => first.includes(r.conn!))) {
      expect(r).toMatchObject({ modelled: false, trigger: 'accept', policy: 'on-accept' })
      const exit = of(run.id, 'exit').find((e) => e.childPid === r.childPid)!
      expect(r.zombieUs).toBeGreaterThan(0)
      // A zombie until the late client's accept: the whole gap between the bursts.
      expect(r.t).toBeGreaterThan(of(run.id, 'accept').find((a) => a.conn === late)!.t)
      expect(r.zombieUs).toBeCloseTo(r.t - exit.t, -1)
    }
    await lab.stopTrace(run.id)
  })

  it('fork server with SIGCHLD ignored: the children are reaped as they exit, no zombie interval', async () => {
    const run = await trace('fork-server-signal.py', ['--port', '0', '--delay', '0.2'])
    const conns = await burst(run.ports[0]!, 3)
    await forEach(run.id, 'reap', conns)
    expectServed(run.id, conns)
    for (const r of of(run.id, 'reap').filter((r) => r.conn)) expect(r).toMatchObject({ zombieUs: 0, trigger: 'exit', modelled: false })
    await lab.stopTrace(run.id)
  })

  it('thread server: a thread per client, each blocking in its own sleep and recv', async () => {
    const run = await trace('thread-server.py', ['--port', '0', '--delay', '0.2'])
    const conns = await burst(run.ports[0]!, 3)
    await forEach(run.id, 'thread-end', conns)
    expectServed(run.id, conns)
    const starts = of(run.id, 'thread-start')
    expect(starts.map((s) => s.conn).sort()).toEqual([...conns].sort())
    expect(new Set(starts.map((s) => s.threadId)).size).toBe(3)
    for (const s of starts) {
      expect(s.src.pid).toBe(run.pid)
      expect(of(run.id, 'block').some((b) => b.on === 'sleep' && b.src.tid === s.threadId)).toBe(true)
    }
    await lab.stopTrace(run.id)
  })

  it('select server on two ports: wake-ups whose ready sets name connections on both', async () => {
    const port = await twoFreePorts()
    const run = await trace('select-server.py', ['--port', String(port)])
    await until(() => run.ports.length === 2)
    const conns = [...(await burst(port, 2)), ...(await burst(port + 1, 2))]
    await forEach(run.id, 'close', conns)
    expectServed(run.id, conns)
    const ready = new Set(of(run.id, 'wakeup').flatMap((w) => w.readable))
    for (const name of [`listen:${port}`, `listen:${port + 1}`, ...conns]) expect(ready.has(name), name).toBe(true)
    expect(conns.some((c) => c.endsWith(`>${port + 1}`))).toBe(true)
    await lab.stopTrace(run.id)
  })

  it('bank server: updates lost without the lock, none with it', async () => {
    const balances: Record<string, number> = {}
    for (const lock of ['off', 'on']) {
      const run = await trace('bank-server.py', ['--port', '0', '--lock', lock])
      const clients = await lab.runClients({ workload: 'bank', port: run.ports[0]!, count: 4, ops: 10, mix: ['dp'] })
      const results = await clients.results
      await forEach(run.id, 'close', results.map((r) => r.conn!))
      // The final balance, as the server itself sent it (the auditor's last reply).
      const sent = of(run.id, 'send').map((s) => /money: (\d+)/.exec(s.preview)?.[1]).filter(Boolean)
      balances[lock] = Number(sent.at(-1))
      const verdict = results.find((r) => r.verdict)?.verdict
      expect(verdict?.status, lock).toBe(lock === 'on' ? 'ok' : 'failed')
      await lab.stopTrace(run.id)
    }
    expect(balances.on).toBe(40)
    expect(balances.off).toBeLessThan(40)
  })

  it.each([
    ['selectors-server.py', ['127.0.0.1', '0'], undefined],
    ['asyncio-server.py', ['--port', '0'], undefined],
    ['twisted-server.py', ['--port', '0'], 'twisted'],
    ['iterative-server.py', ['--port', '0'], undefined],
  ] as const)('%s: each client accepted, read, answered and closed under its own id', async (script, args, module) => {
    const run = await trace(script, [...args], module)
    const conns = await burst(run.ports[0]!, 3)
    await forEach(run.id, 'close', conns)
    expectServed(run.id, conns)
    if (script !== 'iterative-server.py') {
      const ready = new Set(of(run.id, 'wakeup').flatMap((w) => w.readable))
      for (const c of conns) expect(ready.has(c)).toBe(true)
    }
    await lab.stopTrace(run.id)
  })

  it('after a stop, the traced program and every child it started are gone', async () => {
    const run = await trace('fork-server.py', ['--port', '0', '--delay', '30'])
    const clients = await lab.runClients({ workload: 'burst', port: run.ports[0]!, count: 2, timeout: 60 })
    await until(() => of(run.id, 'fork').filter((f) => f.conn).length >= 2)
    const pids = [run.pid!, ...of(run.id, 'fork').map((f) => f.childPid)]
    await lab.stopTrace(run.id)
    expect(await waitUntil(() => pids.every((pid) => !isAlive(pid)), 3000)).toBe(true)
    await lab.stopClients(clients.id)
  })
})
