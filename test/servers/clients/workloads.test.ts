import { afterEach, describe, expect, it } from 'vitest'
import { firstOn, ofKind, type Scenario, startScenario, waitUntil } from '../../helpers/lab-run.ts'

describe('client workloads', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('staggered: one client every --interval ms', async () => {
    scenario = await startScenario({ model: 'thread', app: 'echo' })
    const { results } = await scenario.clients({ workload: 'staggered', count: 4, interval: 150, words: ['a', 'b'] })
    await scenario.stop()
    expect(results.map((r) => r.replies.join())).toEqual(['a,b', 'a,b', 'a,b', 'a,b'])
    const connects = ofKind(scenario.events, 'connect', 'client').map((c) => c.t)
    expect(connects).toHaveLength(4)
    // Each waits out the interval after the one before (a timer never fires early)...
    for (let k = 1; k < connects.length; k++) expect(connects[k]! - connects[k - 1]!).toBeGreaterThan(140_000)
    // ...and not much more, on average: a busy machine's late timer is a few ms, a one-off
    // stall maybe a hundred; all at once, or a doubled interval, is far outside this.
    expect((connects.at(-1)! - connects[0]!) / (connects.length - 1)).toBeLessThan(1.5 * 150_000)
  })

  it('multiconn: one process, N connections that send everything first and close once all of it came back (seed 001)', async () => {
    scenario = await startScenario({ model: 'select', app: 'echo' })
    const { results } = await scenario.clients({ workload: 'multiconn', count: 5, words: ['Message 1 from client.', 'Message 2 from client.'] })
    await scenario.stop()
    // The echo may come back in one piece or two: what counts is every byte, in order.
    expect(results.map((r) => r.replies.join(''))).toEqual(Array(5).fill('Message 1 from client.Message 2 from client.'))
    const clientSide = scenario.events.filter((e) => e.src.role === 'client')
    expect(new Set(clientSide.map((e) => e.src.pid)).size).toBe(1)
    // Both messages leave before the first byte of the echo is read.
    for (const { conn } of ofKind(scenario.events, 'connect', 'client')) {
      const sends = ofKind(scenario.events, 'send', 'client').filter((e) => e.conn === conn)
      expect(sends).toHaveLength(2)
      expect(sends[1]!.t).toBeLessThan(firstOn(scenario.events, conn, 'recv', 'client')!.t)
      // The client closes; the server learns it from the EOF.
      expect(firstOn(scenario.events, conn, 'close', 'server')).toMatchObject({ by: 'peer' })
    }
  })

  it('interactive: sends each line pushed to it as it comes, and records the replies', async () => {
    scenario = await startScenario({ model: 'asyncio', app: 'bank' })
    const s = scenario
    const run = await s.lab.runClients({ port: s.port, workload: 'interactive', lines: ['jack:dp'] })
    await s.waitFor((e) => e.kind === 'recv' && e.src.role === 'client')
    // The first reply came before the second line existed: a conversation, not a script.
    s.lab.sendInput(run.id, 'jack:dp')
    expect(await waitUntil(() => ofKind(s.events, 'recv', 'client').reduce((n, r) => n + r.bytes, 0) >= 34)).toBe(true)
    s.lab.sendInput(run.id, 'jill:wd')
    s.lab.sendInput(run.id, null)
    const [result] = await run.results
    await s.stop()
    expect(result!.error).toBeUndefined()
    expect(result!.replies.join('')).toBe("jack's money: 1\r\njack's money: 2\r\njill has no money!!\r\n")
    const sends = ofKind(s.events, 'send', 'client')
    expect(sends).toHaveLength(3)
    expect(ofKind(s.events, 'recv', 'client')[0]!.t).toBeLessThan(sends[1]!.t)
    // It shut down its sending side when the input ended; the server closed after its last reply.
    expect(firstOn(s.events, result!.conn!, 'close', 'server')).toMatchObject({ by: 'peer' })
  })

  it('half-close: every kind of server still sends what it owes after the client shuts down its side', async () => {
    for (const model of ['iterative', 'fork', 'thread', 'select', 'reactor']) {
      scenario = await startScenario({ model, app: 'echo', reap: 'immediate' })
      const { results } = await scenario.clients({ workload: 'half-close', count: 2, words: ['Hello', 'world'], hold: 5 })
      await scenario.stop()
      expect({ model, replies: results.map((r) => r.replies) }).toEqual({ model, replies: [['Hello world'], ['Hello world']] })
    }
  })
})
