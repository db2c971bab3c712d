import { afterEach, describe, expect, it } from 'vitest'
import type { ProcEvent, SocketsEvent, SockscopeEvent } from '../../../src/servers/events.ts'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { connect, destroyAllSockets, killAll, poll, startPython } from '../os/processes.ts'

let lab: Lab | undefined
const OS_INTERVAL_MS = 50
afterEach(async () => {
  destroyAllSockets()
  await lab?.stop()
  lab = undefined
  killAll()
})

function record(l: Lab): SockscopeEvent[] {
  const events: SockscopeEvent[] = []
  l.onEvents((batch) => events.push(...batch))
  return events
}

const procs = (events: SockscopeEvent[], change?: ProcEvent['change']) =>
  events.filter((e): e is ProcEvent => e.kind === 'proc' && (!change || e.change === change))

describe("the lab's OS view of its own runs", () => {
  it("reports the fork server's real children appearing and going, under the server's run, beside the model's events", async () => {
    lab = new Lab({ osIntervalMs: OS_INTERVAL_MS })
    const events = record(lab)
    const server = await lab.startServer({ model: 'fork', app: 'echo', delay: 0.6 })
    const sockets = await Promise.all([0, 1, 2].map(() => connect(server.ports[0]!)))
    for (const s of sockets) s.write('hi\n')
    const forks = await poll(() => {
      const f = events.filter((e) => e.kind === 'fork')
      return f.length === 3 ? f : undefined
    }, 'three forks')
    const childPids = forks.map((f) => (f as { childPid: number }).childPid)
    // The OS saw each child the model forked, as a child of the server host, in the server's run.
    await poll(() => childPids.every((pid) => procs(events, 'appeared').some((e) => e.pid === pid)) || undefined, 'the children in the OS view')
    for (const pid of childPids) {
      const seen = procs(events, 'appeared').find((e) => e.pid === pid)!
      expect(seen).toMatchObject({ ppid: server.pid, src: { role: 'os', run: server.id } })
      expect(seen.state).toMatch(/^[RSD]$/)
    }
    destroyAllSockets()
    // Node reaps at once: the OS reports each child gone; a sample may catch one as a zombie
    // for the moment between its exit and libuv's waitpid, but not for more than a few
    // samples (on a busy machine a sample comes late, and the host's waitpid too).
    await poll(() => childPids.every((pid) => procs(events, 'gone').some((e) => e.pid === pid)) || undefined, 'the children gone')
    for (const pid of childPids) {
      const zombie = procs(events).find((e) => e.pid === pid && e.state === 'Z')
      if (!zombie) continue
      const gone = procs(events, 'gone').find((e) => e.pid === pid)!
      expect(gone.t - zombie.t).toBeLessThan(10 * OS_INTERVAL_MS * 1000)
    }
    await lab.stop()
    // The last reading says the server host itself is gone.
    expect(procs(events, 'gone').some((e) => e.pid === server.pid)).toBe(true)
    // One stream: OS events merge in time order with the servers' own.
    const times = events.map((e) => e.t)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })

  it('samples nothing when asked not to', async () => {
    lab = new Lab({ osSampling: false })
    const events = record(lab)
    await lab.startServer({ model: 'thread' })
    await new Promise((r) => setTimeout(r, 400))
    await lab.stop()
    expect(events.filter((e) => e.src.role === 'os')).toEqual([])
    expect(events.some((e) => e.kind === 'listen')).toBe(true)
  })
})

describe('observing a process the lab did not start', () => {
  it("shows a Python fork server's zombies, its sockets and their end, as events of an observed run", async () => {
    lab = new Lab({ osIntervalMs: 50 })
    const events = record(lab)
    const server = await startPython('fork_server_noreap.py')
    const port = Number(server.firstLine)
    expect((await lab.listListening()).find((p) => p.pid === server.pid)?.listening[0]).toMatchObject({ local: `127.0.0.1:${port}`, state: 'LISTEN' })

    const run = await lab.observe(server.pid)
    expect(run).toMatchObject({ id: expect.stringMatching(/^o\d+$/), pid: server.pid, state: 'running' })
    expect(run.command).toContain('fork_server_noreap.py')
    await expect(lab.observe(server.pid)).rejects.toMatchObject({ code: 'BAD_OPTION' })

    for (let i = 0; i < 2; i++) {
      const s = await connect(port)
      s.write('x')
    }
    const zombies = await poll(() => {
      const z = procs(events).filter((e) => e.ppid === server.pid && e.state === 'Z')
      return new Set(z.map((e) => e.pid)).size === 2 ? z : undefined
    }, 'two zombies')
    expect(zombies.every((z) => z.src.run === run.id && z.command.endsWith('<defunct>'))).toBe(true)
    // Its socket table: the listener, seen by the kernel.
    const table = events.filter((e): e is SocketsEvent => e.kind === 'sockets' && e.pid === server.pid).at(-1)!
    expect(table.sockets).toContainEqual(expect.objectContaining({ state: 'LISTEN', local: `127.0.0.1:${port}` }))

    process.kill(server.pid, 'SIGUSR1') // the fixture reaps on demand
    await poll(() => zombies.every((z) => procs(events, 'gone').some((e) => e.pid === z.pid)) || undefined, 'the zombies reaped')

    await lab.stopObserving(run.id)
    expect(lab.listObserved()[0]!.state).toBe('stopped')
    const count = events.length
    await connect(port)
    await new Promise((r) => setTimeout(r, 300))
    expect(events.length).toBe(count)
  })

  it('refuses a pid that names no process, or a thread, with a clear error', async () => {
    lab = new Lab()
    await expect(lab.observe(2 ** 22 + 12345)).rejects.toMatchObject({ code: 'NO_SUCH_PROCESS' })
    const server = await lab.startServer({ model: 'thread' })
    const { readdirSync } = await import('node:fs')
    const thread = readdirSync(`/proc/${server.pid}/task`).map(Number).find((tid) => tid !== server.pid)!
    await expect(lab.observe(thread)).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining(`thread of process ${server.pid}`) })
  })
})
