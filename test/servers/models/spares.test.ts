import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connId } from '../../../src/servers/connection-id.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { createClock } from '../../../src/servers/clock.ts'
import { SparePool, SPARES } from '../../../src/servers/models/spares.ts'
import { parseProbe } from '../../../src/servers/models/start-costs.ts'
import { summarize } from '../../../src/renderer/model/describe.ts'
import { firstOn, isAlive, type Scenario, startScenario, waitUntil } from '../../helpers/lab-run.ts'
import { holdings } from './proc-probe.ts'

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** `count` clients connected at once, each having sent a line; open until the test closes them. */
async function hold(s: Scenario, count: number): Promise<{ sockets: net.Socket[]; conns: string[] }> {
  const sockets = await Promise.all(
    Array.from({ length: count }, async () => {
      const socket = net.connect({ host: '127.0.0.1', port: s.port })
      await once(socket, 'connect')
      socket.write('ping\n')
      return socket
    }),
  )
  const conns = sockets.map((socket) => connId(socket.localPort!, s.port))
  for (const conn of conns) await s.waitFor((e) => e.kind === 'recv' && e.src.role === 'server' && e.conn === conn, 30_000)
  return { sockets, conns }
}

/** Handler threads the kernel lists in the server (Node names each worker's OS thread; see thread.ts). */
function handlerThreads(pid: number): number {
  let count = 0
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('handler-')) count++
    } catch {}
  }
  return count
}

const stat = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

describe('handlers started ahead of time (spares)', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('fork: each connection gets its own real child process, started for it and labelled with what a fork() costs', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo', reap: 'immediate' })
    const s = scenario
    const { sockets, conns } = await hold(s, 3)
    const forks = conns.map((conn) => firstOn(s.events, conn, 'fork', 'server') as Extract<SockscopeEvent, { kind: 'fork' }>)
    // The kernel's own view: three live processes, each a child of the server.
    expect(new Set(forks.map((f) => f.childPid)).size).toBe(3)
    for (const fork of forks) {
      expect(isAlive(fork.childPid)).toBe(true)
      expect(Number(stat(fork.childPid)[1])).toBe(s.serverPid)
      // No child is forked ahead (fork.ts says why): each is started for its connection, and serves it.
      expect(fork.spare).toBeUndefined()
      expect(firstOn(s.events, fork.conn, 'recv', 'server')!.src.pid).toBe(fork.childPid)
      if (hasPython) {
        expect(fork.modelledStart).toMatchObject({ call: 'os.fork()', us: expect.any(Number) })
        expect(summarize(fork)).toMatch(/^forked child pid \d+ · started for this connection, its start \(Node's, a V8 isolate booting\) on the accept path; a fork\(\) here costs ~/)
      }
    }
    for (const socket of sockets) socket.end()
    for (const fork of forks) await s.waitFor((e) => e.kind === 'exit' && e.childPid === fork.childPid)
  })

  it('thread: each connection still gets its own real OS thread, a parked one, labelled with what a thread start costs', async () => {
    scenario = await startScenario({ model: 'thread', app: 'echo' })
    const s = scenario
    expect(await waitUntil(() => handlerThreads(s.serverPid) >= 3, 30_000)).toBe(true)
    const { sockets, conns } = await hold(s, 3)
    const starts = conns.map((conn) => firstOn(s.events, conn, 'thread-start', 'server') as Extract<SockscopeEvent, { kind: 'thread-start' }>)
    expect(new Set(starts.map((t) => t.osTid)).size).toBe(3)
    for (const start of starts) {
      // The kernel lists the thread in the server's process, under the name Node gave it.
      expect(start.osTid).toEqual(expect.any(Number))
      expect(readFileSync(`/proc/${s.serverPid}/task/${start.osTid}/comm`, 'utf8').trim()).toMatch(/^handler-\d+$/)
      expect(start.spare).toMatchObject({ pool: SPARES })
      expect(start.spare!.startedAt).toBeLessThan(start.t)
      expect(firstOn(s.events, start.conn, 'recv', 'server')!.src.tid).toBe(start.threadId)
      if (hasPython) expect(start.modelledStart).toMatchObject({ call: 'threading.Thread.start()', us: expect.any(Number) })
      expect(summarize(start)).toMatch(/^thread \d+ \(OS thread \d+\) started · a parked thread \(8 kept ready\): /)
    }
    for (const socket of sockets) socket.end()
    // Each thread ends with its connection, and the kernel no longer lists it.
    for (const start of starts) await s.waitFor((e) => e.kind === 'thread-end' && e.threadId === start.threadId)
    for (const start of starts) await expect.poll(() => { try { readFileSync(`/proc/${s.serverPid}/task/${start.osTid}/comm`); return true } catch { return false } }).toBe(false)
  })

  it('boots spares one at a time, keeps spares and busy handlers within the cap, and tops up once a burst is over', async () => {
    const started: number[] = []
    const boots: (() => void)[] = []
    const pool = new SparePool<number>({
      size: 3,
      cap: 4,
      clock: createClock(),
      start: () => {
        const id = started.push(started.length) - 1
        return { spare: id, ready: new Promise<void>((resolve) => boots.push(resolve)) }
      },
      dispose: () => {},
    })
    // One boot at a time: the next spare starts only when the one before is ready.
    expect(started).toHaveLength(1)
    boots[0]!()
    await expect.poll(() => started.length).toBe(2)
    boots[1]!()
    await expect.poll(() => started.length).toBe(3)
    boots[2]!()
    const first = pool.take()
    expect(first).toMatchObject({ spare: 0, ahead: true, startUs: expect.any(Number) })
    pool.take()
    pool.take()
    // Nothing boots in the middle of a burst; after it, one: three busy and one spare make the cap of 4.
    expect(started).toHaveLength(3)
    await expect.poll(() => started.length).toBe(4)
    boots[3]!()
    pool.take()
    // None waiting, at the cap: a connection still gets a handler started for it (the server's own cap holds connections back).
    expect(pool.take()).toMatchObject({ ahead: false })
    expect(started).toHaveLength(5)
    // Two end: one busy fewer than the cap, so one spare starts again once the burst is over.
    pool.released()
    pool.released()
    await expect.poll(() => started.length).toBe(6)
    pool.stop()
  })

  it('says when it is full: every spare it can keep booted (compare waits for it); at once for a pool of none', async () => {
    const boots: (() => void)[] = []
    const pool = new SparePool<number>({
      size: 2,
      cap: 10,
      clock: createClock(),
      start: () => ({ spare: boots.length, ready: new Promise<void>((resolve) => boots.push(resolve)) }),
      dispose: () => {},
    })
    let full = false
    void pool.full().then(() => (full = true))
    boots[0]!()
    await expect.poll(() => boots.length).toBe(2)
    expect(full).toBe(false)
    boots[1]!()
    await expect.poll(() => full).toBe(true)
    pool.stop()
    const none = new SparePool<number>({ size: 0, cap: 10, clock: createClock(), start: () => ({ spare: 0, ready: Promise.resolve() }), dispose: () => {} })
    await none.full()
    none.stop()
  })

  it('reads the Python probe’s line, and refuses anything else', () => {
    expect(parseProbe('2171.99 235.356 3.11\n')).toEqual({ forkUs: 2172, threadUs: 235, by: 'Python 3.11 on this machine, median of 21' })
    expect(parseProbe('Traceback (most recent call last):')).toBeUndefined()
    expect(parseProbe('0 12 3.11')).toBeUndefined()
  })
})
