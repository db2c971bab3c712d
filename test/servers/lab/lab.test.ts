import net from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createClock } from '../../../src/servers/clock.ts'
import type { ErrorInfo } from '../../../src/servers/errors.ts'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { ManagedProcess } from '../../../src/servers/lab/managed-process.ts'
import type { ChildToLab } from '../../../src/servers/host/protocol.ts'
import { isAlive, ofKind, startScenario, waitUntil, type Scenario } from '../../helpers/lab-run.ts'
import { noServerLeftOn } from '../../helpers/ports.ts'

/** Open raw connections and leave them open (the server is mid-way through serving them). */
function openClients(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () => new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => {
        socket.write('hi')
        resolve(socket)
      })
      socket.on('error', reject)
    })),
  )
}

describe('lab', () => {
  let scenario: Scenario | undefined
  const labs: Lab[] = []
  afterEach(async () => {
    await scenario?.stop()
    await Promise.all(labs.splice(0).map((l) => l.stop()))
  })

  for (const model of ['iterative', 'fork', 'thread']) {
    it(`stopping a ${model} server mid-connection leaves no process alive and frees the port`, async () => {
      scenario = await startScenario({ model, app: 'echo', delay: 5 })
      const sockets = await openClients(scenario.port, 3)
      if (model === 'fork') await waitUntil(() => ofKind(scenario!.events, 'fork').length === 3)
      const childPids = ofKind(scenario.events, 'fork').map((f) => f.childPid)
      expect(childPids.every(isAlive)).toBe(true)

      const started = performance.now()
      await scenario.stop()
      // Stopping does not wait out the 5 s delays.
      expect(performance.now() - started).toBeLessThan(2500)
      expect(isAlive(scenario.serverPid)).toBe(false)
      expect(await waitUntil(() => childPids.every((pid) => !isAlive(pid)), 2000)).toBe(true)
      expect(await noServerLeftOn(scenario.port)).toBe(true)
      for (const s of sockets) s.destroy()
    })
  }

  it('stopping a client workload mid-run ends its driver process', async () => {
    scenario = await startScenario({ model: 'iterative', app: 'echo', delay: 5 })
    const run = await scenario.lab.runClients({ port: scenario.port, count: 3 })
    // Servers and client runs are numbered apart, as a person counts them: s1, then c1.
    expect([scenario.lab.listServers().map((s) => s.id), run.id]).toEqual([['s1'], 'c1'])
    expect(isAlive(run.pid)).toBe(true)
    await scenario.lab.stopClients(run.id)
    expect(isAlive(run.pid)).toBe(false)
    expect(await run.results).toEqual([])
  })

  it('a port in use is a PORT_IN_USE error, and the lab goes on', async () => {
    const lab = new Lab()
    labs.push(lab)
    const first = await lab.startServer({ model: 'thread' })
    const port = first.ports[0]!
    await expect(lab.startServer({ model: 'fork', port })).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(String(port)) })
    const second = await lab.startServer({ model: 'fork' })
    expect(second.ports[0]).not.toBe(port)
    expect(lab.listServers().map((s) => s.id)).toEqual([first.id, second.id])
  })

  it('rejects bad specs with coded errors before starting anything', async () => {
    const lab = new Lab()
    labs.push(lab)
    await expect(lab.startServer({ model: 'forkk' })).rejects.toMatchObject({ code: 'UNKNOWN_MODEL' })
    await expect(lab.startServer({ model: 'fork', app: 'nope' })).rejects.toMatchObject({ code: 'UNKNOWN_APP' })
    await expect(lab.startServer({ model: 'fork', delay: -1 })).rejects.toMatchObject({ code: 'BAD_OPTION', message: 'delay must be a number from 0 to 3600, not -1' })
    await expect(lab.startServer({ model: 'fork', port: 70000 })).rejects.toMatchObject({ code: 'BAD_OPTION', message: 'port must be an integer from 0 to 65535, not 70000' })
    await expect(lab.runClients({ port: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' })
    expect(lab.listServers()).toEqual([])
  })

  it('a client against a closed port gets CONNECTION_REFUSED, not a crash', async () => {
    const lab = new Lab()
    labs.push(lab)
    const server = await lab.startServer({ model: 'thread' })
    const port = server.ports[0]!
    await lab.stopServer(server.id)
    const run = await lab.runClients({ port, count: 2 })
    const results = await run.results
    expect(results.map((r) => r.error?.code)).toEqual(['CONNECTION_REFUSED', 'CONNECTION_REFUSED'])
    expect(results[0]!.error!.message).toContain(`127.0.0.1:${port}`)
  })

  it('a server host that crashes is reported, its children go with it, and the lab goes on', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo', delay: 5 })
    const problems: string[] = []
    scenario.lab.onProblem((p) => problems.push(p.code))
    await openClients(scenario.port, 2)
    await waitUntil(() => ofKind(scenario!.events, 'fork').length === 2)
    const childPids = ofKind(scenario.events, 'fork').map((f) => f.childPid)
    process.kill(scenario.serverPid, 'SIGKILL')
    expect(await waitUntil(() => problems.includes('HOST_CRASHED'))).toBe(true)
    expect(await waitUntil(() => childPids.every((pid) => !isAlive(pid)))).toBe(true)
    const again = await scenario.lab.startServer({ model: 'iterative' })
    expect(again.state).toBe('running')
  })

  it('reports a malformed message from a child as BAD_MESSAGE and keeps its valid events', async () => {
    const fixture = path.join(import.meta.dirname, '../../fixtures/lab/misbehaving-child.ts')
    const child = new ManagedProcess(fixture, createClock().originNs)
    const invalid: ErrorInfo[] = []
    const valid: ChildToLab[] = []
    child.on('invalid', (p) => invalid.push(p))
    child.on('message', (m) => valid.push(m))
    await waitUntil(() => valid.length === 1 && invalid.length === 2)
    await child.stop()
    expect(invalid.map((p) => p.code)).toEqual(['BAD_MESSAGE', 'BAD_MESSAGE'])
    expect(invalid[0]!.message).toContain(`pid ${child.pid}`)
    expect(valid[0]).toMatchObject({ type: 'events', events: [{ code: 'FIXTURE' }] })
    expect(child.state).toBe('stopped')
  })

  it('merges batches from server and client processes into one time-ordered stream', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo' })
    await scenario.clients({ count: 4, words: ['a', 'b', 'c'] })
    await scenario.stop()
    // Each process's events in the order it stamped them, whatever path they took.
    const byPid = Map.groupBy(scenario.events.filter((e) => e.src.role !== 'os'), (e) => e.src.pid)
    for (const [pid, own] of byPid) expect(own.map((e) => e.t), `pid ${pid}`).toEqual(own.map((e) => e.t).sort((a, b) => a - b))
    // Across processes, in time order: every event that comes after a newer one is one the
    // merger counted as late (a process stalled past its window), and there are few.
    let newest = Number.NEGATIVE_INFINITY
    let outOfOrder = 0
    for (const e of scenario.events) {
      if (e.t < newest) outOfOrder++
      newest = Math.max(newest, e.t)
    }
    expect(outOfOrder).toBe(scenario.lab.lateEvents)
    expect(outOfOrder).toBeLessThan(scenario.events.length * 0.05)
    const pids = new Set(scenario.events.filter((e) => e.src.role !== 'os').map((e) => e.src.pid))
    // server host, 4 forked children, 1 client driver
    expect(pids.size).toBe(6)
  })
})
