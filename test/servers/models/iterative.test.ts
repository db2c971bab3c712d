import { afterEach, describe, expect, it } from 'vitest'
import { firstOn, ofKind, type Scenario, servedIntervals, sideBySide, startScenario } from '../../helpers/lab-run.ts'

const DELAY_S = 0.5

describe('iterative model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('serves one client at a time, in arrival order, so 4 clients take about 4 delays', async () => {
    scenario = await startScenario({ model: 'iterative', app: 'echo', delay: DELAY_S })
    const { results, spanMs } = await scenario.clients({ count: 4, words: ['ping'] })
    await scenario.stop()
    const { events } = scenario

    expect(results.every((r) => !r.error && r.replies[0] === 'ping')).toBe(true)
    // Each connection waits for every one before it: 4 × 0.5 s at least, and not much more.
    expect(spanMs).toBeGreaterThanOrEqual(4 * DELAY_S * 1000 * 0.95)
    expect(spanMs).toBeLessThan(4 * DELAY_S * 1000 * 1.6)

    const queued = ofKind(events, 'queued').map((e) => e.conn)
    const accepted = ofKind(events, 'accept').map((e) => e.conn)
    expect(queued).toHaveLength(4)
    expect(accepted).toEqual(queued)

    // The staircase: connection k is accepted only after connection k−1 was closed.
    for (let k = 1; k < accepted.length; k++) {
      const prevClose = firstOn(events, accepted[k - 1]!, 'close', 'server')!
      const accept = firstOn(events, accepted[k]!, 'accept', 'server')!
      expect(accept.t).toBeGreaterThanOrEqual(prevClose.t)
    }
    // So the connections' accept → close never overlap: the burst costs their sum (the
    // measure by which the parallel models' tests show that theirs do overlap).
    expect(sideBySide(servedIntervals(events)).ratio).toBeGreaterThanOrEqual(1)
    // The last one waited in the accept queue for about three others' delays.
    const lastAccept = ofKind(events, 'accept').at(-1)!
    expect(lastAccept.waitedUs).toBeGreaterThan(3 * DELAY_S * 1e6 * 0.9)
  })

  it('keeps serving after a queued client gives up', async () => {
    scenario = await startScenario({ model: 'iterative', app: 'echo-time', delay: 0.3 })
    const first = scenario.clients({ count: 1, words: ['a'] })
    // A client that is queued behind the first and times out before its turn.
    const impatient = await scenario.clients({ count: 1, words: ['b'], timeout: 0.1 })
    expect(impatient.results[0]!.error?.code).toBe('TIMEOUT')
    expect((await first).results[0]!.replies[0]).toMatch(/^Echo=>a at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/)
    const after = await scenario.clients({ count: 1, words: ['c'] })
    expect(after.results[0]!.replies[0]).toMatch(/^Echo=>c at /)
  })
})
