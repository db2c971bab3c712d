import { afterEach, describe, expect, it } from 'vitest'
import { delayedBurst, firstOn, ofKind, type Scenario, startScenario } from '../../helpers/lab-run.ts'
import { loopWaits } from './loop-waits.ts'

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

  it('waits in select() when no task can run: a sleeping task\'s timer bounds the wait, and once the tasks are done it waits on its listener alone', async () => {
    const DELAY_MS = 300
    scenario = await startScenario({ model: 'asyncio', app: 'echo', delay: DELAY_MS / 1000 })
    const s = scenario
    const { results } = await s.clients({ count: 2, words: ['a'] })
    // The server's events come in their own batches: wait for both tasks' ends.
    await s.waitFor(() => ofKind(s.events, 'task-end').length === 2)
    const lastEnd = ofKind(s.events, 'task-end').at(-1)!
    const idle = await s.waitFor((e) => e.kind === 'block' && e.on === 'select' && e.t > lastEnd.t)
    await s.stop()
    expect(results.map((r) => r.replies.join())).toEqual(['a', 'a'])
    expect(idle).toMatchObject({ sockets: 1 })
    expect((idle as { timeoutMs?: number }).timeoutMs).toBeUndefined()
    // Every await is its task's wait, never the loop's.
    for (const block of ofKind(s.events, 'block').filter((b) => b.on !== 'select')) expect(block).toMatchObject({ waiter: 'task', conn: expect.any(String) })
    const pairs = loopWaits(s.events, s.serverPid)
    // While the tasks sleep, the loop waits on the listener and both connections, until the first timer.
    const asleep = pairs.filter(({ block }) => block.timeoutMs !== undefined)
    expect(asleep.length).toBeGreaterThan(0)
    for (const { block } of asleep) expect(block.timeoutMs!).toBeLessThanOrEqual(DELAY_MS)
    // A new connection wakes it on the listener; a timer, with nothing ready.
    const port = ofKind(s.events, 'listen')[0]!.port
    expect(pairs.filter(({ wakeup }) => wakeup.readable.includes(`listen:${port}`))).not.toHaveLength(0)
    const firstWake = ofKind(s.events, 'unblock').find((u) => u.on === 'sleep')!
    const timerWake = pairs.map((p) => p.wakeup).filter((w) => w.t <= firstWake.t).at(-1)!
    expect(timerWake).toMatchObject({ readable: [], writable: [] })
  })
})
