import { afterEach, describe, expect, it } from 'vitest'
import { delayedBurst, firstOn, ofKind, type Scenario, startScenario } from '../../helpers/lab-run.ts'

const DELAY_S = 0.4

describe('asyncio model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('awaits --delay without stalling anyone: 4 clients take about one delay, like one thread each', async () => {
    const spanOf = async (model: string) => {
      const burst = await delayedBurst(model, DELAY_S)
      expect(burst.results.every((r) => r.replies[0] === 'ping')).toBe(true)
      return burst
    }
    const thread = await spanOf('thread')
    const asyncio = await spanOf('asyncio')
    expect(asyncio.spanMs).toBeGreaterThanOrEqual(DELAY_S * 1000)
    // One after another, 4 delays at least; side by side about one: under half the serial cost.
    expect(asyncio.spanMs).toBeLessThan(0.5 * 4 * DELAY_S * 1000)
    // No slower than a thread each, which also pays for starting its threads.
    expect(asyncio.spanMs / thread.spanMs).toBeLessThan(1.5)
    // All four sleeps overlap, on the one thread of the one process.
    const sleeps = ofKind(asyncio.events, 'block').filter((b) => b.on === 'sleep')
    const wakes = ofKind(asyncio.events, 'unblock').filter((u) => u.on === 'sleep')
    expect(sleeps).toHaveLength(4)
    expect(Math.max(...sleeps.map((b) => b.t))).toBeLessThan(Math.min(...wakes.map((u) => u.t)))
    expect(sleeps.every((b) => b.src.pid === asyncio.pid && b.src.tid === 0)).toBe(true)
  })

  it('runs a task per connection, with block / unblock at every await', async () => {
    scenario = await startScenario({ model: 'asyncio', app: 'echo' })
    const { results } = await scenario.clients({ count: 3, words: ['a', 'b', 'c'] })
    await scenario.stop()
    const { events } = scenario
    expect(results.every((r) => r.replies.join('') === 'abc')).toBe(true)
    const starts = ofKind(events, 'task-start')
    expect(starts.map((s) => s.task).sort()).toEqual(['Task-1', 'Task-2', 'Task-3'])
    for (const start of starts) {
      const end = ofKind(events, 'task-end').find((e) => e.task === start.task)!
      expect(end.conn).toBe(start.conn)
      const close = firstOn(events, start.conn, 'close', 'server')!
      expect(start.t).toBeLessThan(close.t)
      expect(close.t).toBeLessThanOrEqual(end.t)
      // Three messages and the EOF: four awaits on recv, each suspending and resuming the task.
      const blocks = ofKind(events, 'block').filter((b) => b.conn === start.conn && b.on === 'recv')
      const unblocks = ofKind(events, 'unblock').filter((u) => u.conn === start.conn && u.on === 'recv')
      expect(blocks).toHaveLength(4)
      expect(unblocks).toHaveLength(4)
      blocks.forEach((b, i) => expect(b.t).toBeLessThanOrEqual(unblocks[i]!.t))
    }
  })
})
