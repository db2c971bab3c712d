import { afterEach, describe, expect, it } from 'vitest'
import { firstOn, ofKind, type Scenario, servedIntervals, sideBySide, startScenario } from '../../helpers/lab-run.ts'

const DELAY_S = 0.5

describe('thread model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('serves 4 delayed clients in parallel, one thread each, in one process', async () => {
    scenario = await startScenario({ model: 'thread', app: 'echo-time', delay: DELAY_S })
    const { results, spanMs } = await scenario.clients({ count: 4, words: ['Hello', 'network', 'world'] })
    await scenario.stop()
    const { events, serverPid } = scenario

    expect(results.every((r) => !r.error && r.replies.length === 3)).toBe(true)
    expect(spanMs).toBeGreaterThanOrEqual(DELAY_S * 1000)
    // In parallel: one after another the burst would cost at least the sum of each
    // connection's accept → close; side by side about a quarter of it (under half, for
    // thread start-ups spread on a busy machine).
    expect(sideBySide(servedIntervals(events)).ratio).toBeLessThan(0.5)

    const starts = ofKind(events, 'thread-start')
    expect(starts).toHaveLength(4)
    expect(new Set(starts.map((s) => s.threadId)).size).toBe(4)
    for (const start of starts) {
      // One process: the thread runs inside the server host, not in a child.
      expect(start.src.pid).toBe(serverPid)
      expect(start.src.tid).toBe(start.threadId)
      // The connection's reads happen on its own thread, and the thread ends after close.
      const recv = firstOn(events, start.conn, 'recv', 'server')!
      expect(recv.src.tid).toBe(start.threadId)
      const close = firstOn(events, start.conn, 'close', 'server')!
      const end = ofKind(events, 'thread-end').find((e) => e.threadId === start.threadId)!
      expect(start.t).toBeLessThan(recv.t)
      expect(close.t).toBeLessThanOrEqual(end.t)
    }
  })

  it('blocks only the connection\'s own thread on recv: an idle client does not hold up others', async () => {
    scenario = await startScenario({ model: 'thread', app: 'echo' })
    // The block on recv is the thread waiting in the kernel for this client's bytes.
    const { results } = await scenario.clients({ count: 3, words: ['a', 'b'] })
    expect(results.every((r) => r.replies.join() === 'a,b')).toBe(true)
    const blocks = ofKind(scenario.events, 'block').filter((e) => e.on === 'recv')
    expect(blocks.every((b) => b.src.tid > 0)).toBe(true)
  })
})
