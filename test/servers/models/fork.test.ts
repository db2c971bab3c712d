import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { firstOn, isAlive, ofKind, type Scenario, servedIntervals, sideBySide, startScenario, waitUntil } from '../../helpers/lab-run.ts'

const DELAY_S = 0.5

/** PPID of a live process, from the kernel's own /proc/PID/stat. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

describe('fork model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('serves 4 delayed clients in parallel, each in its own real child process', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo-time', delay: DELAY_S, reap: 'immediate' })
    const s = scenario
    const parents = new Map<number, number>()
    // While the children sleep through their delay, ask the kernel who their parent is.
    const probe = (async () => {
      for (let i = 0; i < 4; i++) {
        const fork = await s.waitFor((e) => e.kind === 'fork' && !parents.has(e.childPid))
        const pid = (fork as Extract<SockscopeEvent, { kind: 'fork' }>).childPid
        parents.set(pid, isAlive(pid) ? parentOf(pid) : -1)
      }
    })()
    const { results, spanMs } = await s.clients({ count: 4, words: ['Hello', 'world'] })
    await probe
    await s.stop()

    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined])
    expect(spanMs).toBeGreaterThanOrEqual(DELAY_S * 1000)
    // Parallel: the parent forks for each client as it comes, so the children's start-ups and
    // delays overlap. One after another the burst would cost at least the sum of each
    // connection's accept → close; here about a quarter of it (under half, to allow for four
    // Node processes starting at once on a busy 2-core machine, 150 ms to 1 s each).
    expect(sideBySide(servedIntervals(s.events)).ratio).toBeLessThan(0.5)

    const forks = ofKind(s.events, 'fork')
    const childPids = forks.map((f) => f.childPid)
    expect(new Set(childPids).size).toBe(4)
    for (const pid of childPids) {
      expect(pid).not.toBe(s.serverPid)
      expect(parents.get(pid)).toBe(s.serverPid)
      // The child reported its own events under its own pid.
      expect(s.events.some((e) => e.kind === 'recv' && e.src.pid === pid)).toBe(true)
      expect(isAlive(pid)).toBe(false)
    }
  })

  it('orders every connection: connect, accept, fork, child recv, close, exit, reap — same id on both sides', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo', reap: 'immediate' })
    await scenario.clients({ count: 3, words: ['x', 'y'] })
    await scenario.stop()
    const { events } = scenario
    const conns = ofKind(events, 'connect', 'client').map((e) => e.conn)
    expect(conns).toHaveLength(3)
    for (const conn of conns) {
      const fork = firstOn(events, conn, 'fork', 'server') as Extract<SockscopeEvent, { kind: 'fork' }>
      const sequence = [
        firstOn(events, conn, 'connect', 'client'),
        firstOn(events, conn, 'accept', 'server'),
        fork,
        firstOn(events, conn, 'recv', 'server'),
        firstOn(events, conn, 'close', 'server'),
        events.find((e) => e.kind === 'exit' && e.childPid === fork.childPid),
        events.find((e) => e.kind === 'reap' && e.childPid === fork.childPid),
      ]
      expect(sequence.every(Boolean)).toBe(true)
      const times = sequence.map((e) => e!.t)
      expect([...times].sort((a, b) => a - b)).toEqual(times)
      expect(firstOn(events, conn, 'recv', 'server')!.src.pid).toBe(fork.childPid)
    }
  })

  it('reap policy immediate: every child reaped at its exit, no zombie interval', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo', reap: 'immediate' })
    await scenario.clients({ count: 3 })
    await scenario.stop()
    const reaps = ofKind(scenario.events, 'reap')
    expect(reaps).toHaveLength(3)
    for (const reap of reaps) {
      const exit = ofKind(scenario.events, 'exit').find((e) => e.childPid === reap.childPid)!
      expect(reap).toMatchObject({ policy: 'immediate', trigger: 'exit', zombieUs: 0, modelled: true })
      expect(reap.t).toBe(exit.t)
    }
  })

  it('reap policy on-accept: finished children stay zombies until the next connection', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo', reap: 'on-accept' })
    await scenario.clients({ count: 2 })
    expect(await waitUntil(() => ofKind(scenario!.events, 'exit').length === 2)).toBe(true)
    expect(ofKind(scenario.events, 'reap')).toHaveLength(0)
    // The zombie interval to see: 300 ms with nobody connecting.
    await new Promise((r) => setTimeout(r, 300))
    await scenario.clients({ count: 1 })
    await scenario.stop()
    const accepts = ofKind(scenario.events, 'accept')
    const onAccept = ofKind(scenario.events, 'reap').filter((r) => r.trigger === 'accept')
    expect(onAccept).toHaveLength(2)
    for (const reap of onAccept) {
      // Reaped at the third accept, after lingering as zombies for the 300 ms gap.
      expect(reap.t).toBeGreaterThanOrEqual(accepts[2]!.t)
      expect(reap.zombieUs).toBeGreaterThan(250_000)
    }
    // The third child has no later accept: the server's own exit hands it to init.
    expect(ofKind(scenario.events, 'reap').filter((r) => r.trigger === 'server-exit')).toHaveLength(1)
  })

  it('reap policy never: zombies pile up until the server exits', async () => {
    scenario = await startScenario({ model: 'fork', app: 'echo', reap: 'never' })
    await scenario.clients({ count: 2 })
    await scenario.clients({ count: 2 })
    expect(await waitUntil(() => ofKind(scenario!.events, 'exit').length === 4)).toBe(true)
    expect(ofKind(scenario.events, 'reap')).toHaveLength(0)
    const stoppedAt = scenario.lab.clock.nowUs()
    await scenario.stop()
    const reaps = ofKind(scenario.events, 'reap')
    expect(reaps).toHaveLength(4)
    expect(reaps.every((r) => r.trigger === 'server-exit' && r.policy === 'never' && r.t >= stoppedAt)).toBe(true)
  })
})
