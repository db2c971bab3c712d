import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import type net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createClock } from '../../../src/servers/clock.ts'
import type { ProcEvent, SocketsEvent } from '../../../src/servers/events.ts'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { listListeningProcesses } from '../../../src/servers/os/index.ts'
import { LinuxProcSource } from '../../../src/servers/os/linux.ts'
import { diffProcesses, type OsEvent, ProcessSampler, QUEUED_BYTES } from '../../../src/servers/os/sampler.ts'
import type { ProcessInfo } from '../../../src/servers/os/types.ts'
import { connect, destroyAllSockets, killAll, poll, startPython } from './processes.ts'

let sampler: ProcessSampler | undefined
let lab: Lab | undefined
afterEach(async () => {
  await sampler?.stop()
  sampler = undefined
  destroyAllSockets()
  await lab?.stop()
  lab = undefined
  killAll()
})

function watch(roots: number[], options: { sockets?: boolean | 'queued'; intervalMs?: number } = {}) {
  const events: OsEvent[] = []
  sampler = new ProcessSampler({ roots, intervalMs: options.intervalMs ?? 50, sockets: options.sockets, onEvents: (batch) => events.push(...batch) })
  return { sampler, events }
}

/** A process that spins on a CPU for 20 s, once it does: Python's start-up (much of it reading files) is not the busy part. */
async function spinning(): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', "import time\nprint('spinning', flush=True)\nend = time.time() + 20\nwhile time.time() < end: pass"], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  await once(child.stdout!, 'data')
  return child
}

/**
 * `sleep 20` once it is idle: asleep (S), so loaded and its memory final, and with its CPU %
 * over its life so far (what a first reading shows, as ps does) under the 1-point step of a
 * usage event. Its start-up may have cost a 10 ms tick: then that takes a second to fade.
 */
async function sleeping(): Promise<ChildProcess> {
  const child = spawn('sleep', ['20'], { stdio: 'ignore' })
  await once(child, 'spawn')
  const proc = new LinuxProcSource()
  await poll(async () => {
    const [info] = await proc.read([child.pid!], new Map(), { sockets: false })
    return info?.state === 'S' && info.cpuMs! * 100 < 0.8 * (Date.now() - info.startTime!) ? true : undefined
  }, 'sleep to be idle', 5000, 10)
  return child
}

/** Nanoseconds `pid` has spent running on a CPU, by the scheduler's own count (/proc/PID/schedstat). */
const ranNs = (pid: number) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0])

const procEvents = (events: OsEvent[], change?: ProcEvent['change']) =>
  events.filter((e): e is ProcEvent => e.kind === 'proc' && (!change || e.change === change))

describe('ProcessSampler on real processes', () => {
  it("reports a Python fork server's unreaped children as zombies (Z, <defunct>), then gone once it reaps", async () => {
    const server = await startPython('fork_server_noreap.py')
    const { sampler, events } = watch([server.pid])
    sampler.start()

    const clients = 3
    for (let i = 0; i < clients; i++) {
      const socket = await connect(Number(server.firstLine))
      socket.end(`client ${i}`).resume()
      await once(socket, 'close')
    }
    const zombies = await poll(() => {
      const z = sampler.latest?.processes.filter((p) => p.ppid === server.pid && p.state === 'Z')
      return z && z.length === clients ? z : undefined
    }, `${clients} zombie children`)
    for (const zombie of zombies) {
      expect(zombie.command).toBe(`[${zombie.name}] <defunct>`)
      expect(zombie.threads).toBe(1)
      // Each child was seen alive or already dead, and in both cases its Z was reported.
      const seen = procEvents(events).filter((e) => e.pid === zombie.pid)
      expect(seen[0]!.change).toBe('appeared')
      expect(seen.at(-1)!.state).toBe('Z')
      expect(seen.every((e) => e.src.role === 'os' && e.src.run === `os-${server.pid}`)).toBe(true)
    }
    // Nobody reaps them: a later sample still has them.
    await new Promise((r) => setTimeout(r, 200))
    expect((await sampler.sample()).processes.filter((p) => p.state === 'Z')).toHaveLength(clients)
    expect(procEvents(events, 'gone')).toHaveLength(0)

    process.kill(server.pid, 'SIGUSR1')
    await poll(() => (procEvents(events, 'gone').length === clients ? true : undefined), 'the zombies to go')
    const gone = procEvents(events, 'gone')
    expect(gone.map((e) => e.pid).sort()).toEqual(zombies.map((z) => z.pid).sort())
    expect(gone.every((e) => e.state === 'Z')).toBe(true)
    // The server itself is still there, the only process left in its tree.
    expect(sampler.latest!.processes.map((p) => p.pid)).toEqual([server.pid])
    // Event times never run backwards.
    expect(events.map((e) => e.t)).toEqual(events.map((e) => e.t).sort((a, b) => a - b))
  })

  it("shows the thread model's host gain a thread per connection and lose them after", async () => {
    lab = new Lab()
    const served: { kind: string; osTid?: number }[] = []
    lab.onEvents((batch) => served.push(...batch))
    const run = await lab.startServer({ model: 'thread', delay: 1 })
    const { sampler, events } = watch([run.pid], { sockets: true })
    const baseline = (await sampler.sample()).processes[0]!
    expect(baseline.pid).toBe(run.pid)
    expect(baseline.threads).toBe(baseline.threadIds!.length)

    const connections = 4
    const clients: net.Socket[] = []
    for (let i = 0; i < connections; i++) clients.push(await connect(run.ports[0]!))
    sampler.start()
    // The host's socket table: its listener, and one connection per client, seen from the server's end.
    const table = await poll(() => {
      const sockets = sampler.latest?.processes[0]?.sockets ?? []
      return clients.every((c) => sockets.some((s) => s.remote === `127.0.0.1:${c.localPort}`)) ? sockets : undefined
    }, "the clients' connections in the host's socket table")
    expect(table).toContainEqual(expect.objectContaining({ state: 'LISTEN', local: `127.0.0.1:${run.ports[0]}` }))
    for (const c of clients)
      expect(table.find((s) => s.remote === `127.0.0.1:${c.localPort}`)).toMatchObject({ state: 'ESTABLISHED', local: `127.0.0.1:${run.ports[0]}`, acceptQueue: null })
    // The threads that took the connections, by the kernel ids their thread-start events name
    // (others among the new ones are spares the server keeps parked for the next clients).
    const servedTids = await poll(() => {
      const tids = served.filter((e) => e.kind === 'thread-start').map((e) => e.osTid!)
      return tids.length >= connections ? tids : undefined
    }, 'a thread-start per connection')
    // Its own OS thread each: distinct kernel ids, none of them the host's main thread. (A
    // count of the host's threads would not show it: parked spares are there from the start.)
    expect(new Set(servedTids).size).toBe(connections)
    expect(servedTids).not.toContain(run.pid)
    // The sampler said so too, in an event that lists them (the host's first, or a change).
    await poll(
      () => [...procEvents(events, 'appeared'), ...procEvents(events, 'changed')].find((e) => e.pid === run.pid && servedTids.every((tid) => e.threadIds?.includes(tid))),
      'a process event listing the serving threads',
    )
    // The kernel lists each of them in the host, as the sampler saw it.
    await poll(() => {
      const host = sampler.latest?.processes.find((p) => p.pid === run.pid)
      return host && servedTids.every((tid) => host.threadIds!.includes(tid)) ? host : undefined
    }, 'the serving threads in the host')
    destroyAllSockets()
    // After the delay each handler sees EOF, and its thread ends.
    const after = await poll(() => {
      const host = sampler.latest?.processes.find((p) => p.pid === run.pid)
      return host && !servedTids.some((tid) => host.threadIds!.includes(tid)) ? host : undefined
    }, 'the worker threads to end')
    expect(procEvents(events, 'changed').some((e) => e.pid === run.pid && e.threads === after.threads)).toBe(true)
  })

  it("'queued' reports only the sockets with a backlog: a peer that does not read, not the idle connection nor the listener", async () => {
    // One process, two connections to itself: on one it writes 4 MB its other end never reads.
    const child = spawn(process.execPath, ['-e', `
      const net = require('net')
      const server = net.createServer((s) => s.pause()).listen(0, '127.0.0.1', () => {
        const { port } = server.address()
        const idle = net.connect(port, '127.0.0.1')
        const stalled = net.connect(port, '127.0.0.1', () => {
          stalled.write(Buffer.alloc(4 << 20))
          console.log(port + ' ' + stalled.localPort + ' ' + idle.localPort)
        })
      })
      setInterval(() => {}, 1e9)`], { stdio: ['ignore', 'pipe', 'inherit'] })
    const [port, stalledPort, idlePort] = String((await once(child.stdout!, 'data'))[0]).trim().split(' ').map(Number)
    try {
      const { sampler, events } = watch([child.pid!], { sockets: 'queued' })
      sampler.start()
      const table = await poll(() => {
        const last = events.filter((e): e is SocketsEvent => e.kind === 'sockets' && e.pid === child.pid).at(-1)
        return last?.sockets?.length === 2 ? last.sockets : undefined
      }, 'both ends of the stalled connection reported')
      // The writer's end holds unsent bytes toward the reader; the reader's end holds them unread.
      const writer = table.find((s) => s.local.endsWith(`:${stalledPort}`))!
      expect(writer).toMatchObject({ remote: `127.0.0.1:${port}`, state: 'ESTABLISHED' })
      expect(writer.txQueue).toBeGreaterThanOrEqual(QUEUED_BYTES)
      const reader = table.find((s) => s.remote.endsWith(`:${stalledPort}`))!
      expect(reader.rxQueue).toBeGreaterThanOrEqual(QUEUED_BYTES)
      // Neither the listener nor the idle connection's two ends are listed.
      expect(table.some((s) => s.state === 'LISTEN' || s.local.endsWith(`:${idlePort}`) || s.remote.endsWith(`:${idlePort}`))).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it("sees the accept queue of a server that never accepts grow with each client, up to backlog + 1", async () => {
    const backlog = 4
    const server = await startPython('listen_sleep.py', [String(backlog)])
    const port = Number(server.firstLine)
    const { sampler, events } = watch([server.pid], { sockets: true })
    const listener = (queued: number) => () =>
      sampler.latest?.processes[0]?.sockets?.find((s) => s.state === 'LISTEN' && s.acceptQueue === queued)
    sampler.start()
    const idle = await poll(listener(0), 'the listening socket')
    expect(idle).toMatchObject({ local: `127.0.0.1:${port}`, remote: '*:*', family: 'tcp' })

    for (let k = 1; k <= backlog + 1; k++) {
      await connect(port) // the kernel completes the handshake; nobody accepts
      await poll(listener(k), `accept queue ${k}`)
    }
    // Each length was a change of the socket table, so each is an event.
    const queues = events
      .filter((e): e is SocketsEvent => e.kind === 'sockets' && e.pid === server.pid)
      .map((e) => e.sockets!.find((s) => s.state === 'LISTEN')!.acceptQueue)
    expect(queues).toEqual([0, 1, 2, 3, 4, 5])

    // Full: the next client's SYN is dropped and retried; it never enters the queue.
    void connect(port).catch(() => undefined) // destroyed, still connecting, after the test
    await new Promise((r) => setTimeout(r, 300))
    const full = (await sampler.sample()).processes[0]!.sockets!.find((s) => s.state === 'LISTEN')!
    expect(full.acceptQueue).toBe(backlog + 1)

    // The observe picker lists the server with its queue.
    const picked = (await listListeningProcesses()).find((p) => p.pid === server.pid)
    expect(picked?.listening).toEqual([expect.objectContaining({ local: `127.0.0.1:${port}`, acceptQueue: backlog + 1 })])
    expect(picked?.command).toContain('listen_sleep.py')
  })

  it('measures CPU %: what the scheduler gave a busy process, near zero for a sleeping one', async () => {
    const [busy, idle] = await Promise.all([spinning(), sleeping()])
    try {
      const { sampler } = watch([busy.pid!, idle.pid!])
      // The busy loop gets a full core only on an idle machine: on a busy one, its share. So
      // the reference is the scheduler's own count of the time each ran, in ns (schedstat),
      // over the same interval, read around the two samples.
      const pids = [busy.pid!, idle.pid!]
      const before = { ranNs: pids.map(ranNs), at: performance.now() }
      await sampler.sample()
      // The interval to measure over.
      await new Promise((r) => setTimeout(r, 500))
      const { processes } = await sampler.sample()
      const after = { ranNs: pids.map(ranNs), at: performance.now() }
      const cpu = (pid: number) => processes.find((p) => p.pid === pid)!.cpuPercent!
      const share = pids.map((_, i) => (100 * (after.ranNs[i]! - before.ranNs[i]!)) / 1e6 / (after.at - before.at))
      // Agreement within the clock ticks (10 ms in 500) and the few ms the reads take.
      expect(Math.abs(cpu(busy.pid!) - share[0]!)).toBeLessThan(10)
      expect(Math.abs(cpu(idle.pid!) - share[1]!)).toBeLessThan(5)
      expect(cpu(idle.pid!)).toBeLessThan(5)
      expect(cpu(busy.pid!)).toBeGreaterThan(cpu(idle.pid!))
      expect(processes.find((p) => p.pid === busy.pid)!.state).toBe('R')
    } finally {
      busy.kill('SIGKILL')
      idle.kill('SIGKILL')
    }
  })

  it("keeps CPU % current with 'usage' events for a busy process, none for an idle one, none when turned off", async () => {
    const [busy, idle] = await Promise.all([spinning(), sleeping()])
    try {
      const events: OsEvent[] = []
      const silent: OsEvent[] = []
      const readings = new Map<number, ProcessInfo | undefined>()
      sampler = new ProcessSampler({
        roots: [busy.pid!, idle.pid!],
        intervalMs: 50,
        usageEveryMs: 200,
        onEvents: (b) => events.push(...b),
        onSample: (s) => readings.set(s.t, s.processes.find((p) => p.pid === busy.pid)),
      })
      const off = new ProcessSampler({ roots: [busy.pid!, idle.pid!], intervalMs: 50, usageEveryMs: 0, onEvents: (b) => silent.push(...b) })
      sampler.start()
      off.start()
      const usage = await poll(() => {
        const u = procEvents(events, 'usage').filter((e) => e.pid === busy.pid)
        return u.length >= 2 ? u : undefined
      }, 'usage events for the busy process')
      await off.stop()
      // Each says what that sample read (how much CPU the busy loop got is the scheduler's
      // doing on a shared machine; that the reading is right, the test above shows).
      for (const u of usage) expect(u.cpuPercent).toBe(readings.get(u.t)?.cpuPercent)
      // At most one per usageEveryMs (200 ms), give or take a sample.
      expect(usage[1]!.t - usage[0]!.t).toBeGreaterThanOrEqual(150_000)
      expect(procEvents(events, 'usage').filter((e) => e.pid === idle.pid)).toEqual([])
      expect(procEvents(silent, 'usage')).toEqual([])
    } finally {
      busy.kill('SIGKILL')
      idle.kill('SIGKILL')
    }
  })

  it('follows an orphan after its parent exits, until it is gone', async () => {
    // The parent forks a child that sleeps, tells us its pid, and exits.
    const parent = spawn('python3', ['-c', "import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(30)\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(0.3)"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const [line] = (await once(parent.stdout!, 'data')) as [Buffer]
    const orphan = Number(line.toString())
    try {
      const { sampler, events } = watch([parent.pid!])
      sampler.start()
      await poll(() => (procEvents(events, 'gone').some((e) => e.pid === parent.pid) ? true : undefined), 'the parent to exit')
      // Reparented (to init or a subreaper), and still watched.
      const moved = await poll(() => procEvents(events, 'changed').find((e) => e.pid === orphan && e.ppid !== parent.pid), 'the new parent')
      expect(moved.src.run).toBe(`os-${parent.pid}`)
      process.kill(orphan, 'SIGKILL')
      await poll(() => (procEvents(events, 'gone').some((e) => e.pid === orphan) ? true : undefined), 'the orphan to go')
    } finally {
      try {
        process.kill(orphan, 'SIGKILL')
      } catch {
        // gone
      }
    }
  })

  it('has an idempotent lifecycle, and stamps events with the given clock and run', async () => {
    const child = spawn('sleep', ['20'], { stdio: 'ignore' })
    await once(child, 'spawn')
    try {
      const clock = createClock()
      const events: OsEvent[] = []
      sampler = new ProcessSampler({ roots: [{ pid: child.pid!, run: 's7' }], clock, intervalMs: 20, onEvents: (b) => events.push(...b) })
      expect(sampler.state).toBe('stopped')
      sampler.start().start()
      expect(sampler.state).toBe('running')
      await poll(() => (events.length ? true : undefined), 'the first event')
      await Promise.all([sampler.stop(), sampler.stop()])
      expect(sampler.state).toBe('stopped')
      const count = events.length
      child.kill('SIGKILL')
      await new Promise((r) => setTimeout(r, 100))
      expect(events.length).toBe(count) // stopped means no more samples

      sampler.start() // and it picks up where it left off: the process is gone
      await poll(() => (procEvents(events, 'gone').length ? true : undefined), 'the gone event')
      const seen = procEvents(events)
      const appeared = seen[0]
      const gone = seen.at(-1)
      expect(appeared).toMatchObject({ change: 'appeared', pid: child.pid, command: 'sleep 20', src: { role: 'os', run: 's7', pid: process.pid } })
      expect(gone).toMatchObject({ change: 'gone', pid: child.pid })
      // Between them only state changes: R while starting, perhaps a glimpse of the
      // zombie before Node's runtime reaped it.
      for (const e of seen.slice(1, -1)) expect(e.change).toBe('changed')
      expect(appeared!.t).toBeLessThanOrEqual(clock.nowUs())
      expect(gone!.t).toBeGreaterThan(appeared!.t)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('diffProcesses', () => {
  const p = (pid: number, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
    pid,
    ppid: 1,
    state: 'S',
    name: 'x',
    command: 'x',
    threads: 1,
    threadIds: [pid],
    cpuMs: 0,
    cpuPercent: 0,
    rssBytes: 0,
    startTime: 1000,
    uid: 0,
    ...extra,
  })

  it('reports appeared, changed (state, threads) and gone, and ignores CPU and memory', () => {
    const before = new Map([1, 2, 3, 4].map((pid) => [pid, p(pid)]))
    const changes = diffProcesses(before, [p(1, { cpuMs: 50, rssBytes: 9 }), p(2, { state: 'Z' }), p(3, { threads: 2, threadIds: [3, 9] }), p(5)])
    expect(changes.map((c) => `${c.kind} ${c.info.pid}`)).toEqual(['changed 2', 'changed 3', 'appeared 5', 'gone 4'])
  })

  it('treats a reused pid (another start time) as one process gone and another appeared', () => {
    const changes = diffProcesses(new Map([[7, p(7)]]), [p(7, { startTime: 2000 })])
    expect(changes.map((c) => `${c.kind} ${c.info.startTime}`)).toEqual(['gone 1000', 'appeared 2000'])
  })
})
