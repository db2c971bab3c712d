import { afterEach, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { ofKind, type Scenario, startScenario } from '../../helpers/lab-run.ts'
import { loopWaits } from './loop-waits.ts'

type Ev<K extends SockscopeEvent['kind']> = Extract<SockscopeEvent, { kind: K }>

/**
 * The Selector that the select model and the reactor wait in: a select() that really
 * waits is a block on 'select' of the loop's thread, with no connection, on every socket
 * registered for something; the wake-up that ends it says how long it waited. The
 * connections' own waits are theirs (waiter 'task'); only a call that blocks the thread
 * (select's --delay sleep, a blocking send) is the loop's.
 */
describe('Selector: the loop waits in select() on all its sockets', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('select: idle on its listener, then on the listener and a client that sends nothing; the client\'s recv is its own', async () => {
    scenario = await startScenario({ model: 'select', app: 'echo' })
    const s = scenario
    const first = (await s.waitFor((e) => e.kind === 'block' && e.on === 'select')) as Ev<'block'>
    expect(first).toMatchObject({ sockets: 1 })
    expect(first.conn).toBeUndefined()
    expect(first.timeoutMs).toBeUndefined()
    const idle = s.lab.runClients({ port: s.port, workload: 'idle', count: 1, hold: 0.5 }).then((r) => r.results)
    // Back in select() with the idle connection parked on recv: two sockets.
    await s.waitFor((e) => e.kind === 'block' && e.on === 'select' && e.sockets === 2)
    const parked = (await s.waitFor((e) => e.kind === 'block' && e.on === 'recv')) as Ev<'block'>
    expect(parked).toMatchObject({ waiter: 'task' })
    await idle
    // The client gone, the loop waits on its listener alone again.
    const closed = await s.waitFor((e) => e.kind === 'close' && e.src.role === 'server')
    const after = (await s.waitFor((e) => e.kind === 'block' && e.on === 'select' && e.t > closed.t)) as Ev<'block'>
    expect(after.sockets).toBe(1)
    await s.stop()
    loopWaits(s.events, s.serverPid)
  })

  it('select: --delay is the thread\'s own sleep (no waiter), between waits in select()', async () => {
    scenario = await startScenario({ model: 'select', app: 'echo', delay: 0.1 })
    const { results } = await scenario.clients({ count: 2, words: ['a'] })
    await scenario.stop()
    expect(results.map((r) => r.replies.join())).toEqual(['a', 'a'])
    const sleeps = ofKind(scenario.events, 'block').filter((b) => b.on === 'sleep')
    expect(sleeps).toHaveLength(2)
    for (const sleep of sleeps) expect(sleep.waiter).toBeUndefined()
    loopWaits(scenario.events, scenario.serverPid)
  })

  it('reactor: a callLater and a wait for data are the protocol\'s own; select() waits no longer than the next callLater', async () => {
    const DELAY_MS = 300
    scenario = await startScenario({ model: 'reactor', app: 'echo', delay: DELAY_MS / 1000 })
    const { results } = await scenario.clients({ count: 2, words: ['a', 'b'] })
    await scenario.stop()
    expect(results.map((r) => r.replies.join())).toEqual(['a,b', 'a,b'])
    const { events } = scenario
    const blocks = ofKind(events, 'block', 'server')
    // The reactor never blocks its thread: every wait but select() is a connection's.
    for (const block of blocks.filter((b) => b.on !== 'select')) expect(block).toMatchObject({ waiter: 'task' })
    expect(blocks.filter((b) => b.on === 'sleep')).toHaveLength(2)
    expect(blocks.filter((b) => b.on === 'recv').length).toBeGreaterThanOrEqual(2)
    // While a callLater is pending, select() has a timeout: at most what is left of the delay.
    const bounded = blocks.filter((b) => b.on === 'select' && b.timeoutMs !== undefined)
    expect(bounded.length).toBeGreaterThan(0)
    for (const b of bounded) expect(b.timeoutMs!).toBeLessThanOrEqual(DELAY_MS)
    loopWaits(events, scenario.serverPid)
  })
})
