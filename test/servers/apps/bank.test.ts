import { afterEach, describe, expect, it } from 'vitest'
import { balanceIn } from '../../../src/servers/clients/workloads/bank.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import type { ClientResult } from '../../../src/servers/host/protocol.ts'
import type { ServerSpecInput } from '../../../src/servers/spec.ts'
import { firstOn, ofKind, type Scenario, startScenario } from '../../helpers/lab-run.ts'

const CLIENTS = 8
const OPS = 100
type State = Extract<SockscopeEvent, { kind: 'state' }>

/** The bank workload's audit: what the server says at the end, and what exact updates would give. */
function audit(results: ClientResult[]): { said: number; expected: number } {
  const last = results.find((r) => r.client === CLIENTS + 1)!
  const expected = /^expected (\d+) /.exec(last.replies[1] ?? '')
  return { said: balanceIn(last.replies[0]!)!, expected: Number(expected?.[1]) }
}

/**
 * A lost update, as the events tell it: two connections read the same balance, and the
 * second read came before the first one's write of it.
 */
function lostUpdateSeen(events: readonly SockscopeEvent[]): boolean {
  const states = ofKind(events, 'state').filter((e) => e.key === 'jack')
  const reads = states.filter((e) => e.access === 'read')
  return reads.some((first, i) => {
    const write = states.find((w) => w.access === 'write' && w.conn === first.conn && w.t > first.t)
    return write !== undefined && reads.slice(i + 1).some((other: State) => other.conn !== first.conn && other.value === first.value && other.t < write.t)
  })
}

describe('bank app (seed 002)', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  const runBank = async (server: Partial<ServerSpecInput> & { model: string }) => {
    const run = await startScenario({ app: 'bank', ...server })
    scenario = run
    const { results } = await run.clients({ workload: 'bank', count: CLIENTS, ops: OPS, timeout: 20 })
    await run.stop()
    expect(results.filter((r) => r.error)).toEqual([])
    return { ...audit(results), results, events: run.events }
  }

  it("answers in the seed's words, with \\r\\n line ends", async () => {
    scenario = await startScenario({ model: 'select', app: 'bank' })
    const run = await scenario.lab.runClients({ port: scenario.port, workload: 'interactive', lines: [] })
    for (const line of ['jack:dp', 'jack:dp', 'jack:wd', 'jack:wd', 'jack:wd', 'nothing here']) scenario.lab.sendInput(run.id, line)
    scenario.lab.sendInput(run.id, null)
    const [result] = await run.results
    expect(result!.replies.join('')).toBe(
      "jack's money: 1\r\njack's money: 2\r\njack's money: 1\r\njack has no money!!\r\njack has no money!!\r\nerror: expected name:dp or name:wd\r\n",
    )
    // A line far over --max-length is refused, not buffered without end.
    const { results } = await scenario.clients({ workload: 'oversize', count: 1, bytes: 1024 * 1024, hold: 5 })
    expect(results[0]!.replies).toEqual(['error: line longer than 65536 bytes (--max-length)\r\n', '(the server closed)'])
    await scenario.stop()
    expect(firstOn(scenario.events, results[0]!.conn!, 'error', 'server')).toMatchObject({ code: 'TOO_LONG' })
  })

  it('thread model, lock on: 8 concurrent clients × 100 operations, and not one update lost', async () => {
    const { said, expected, events } = await runBank({ model: 'thread', lock: 'on' })
    expect(expected).toBe(CLIENTS * (Math.ceil((OPS * 2) / 3) - Math.floor(OPS / 3)))
    expect(said).toBe(expected)
    // Every operation took the lock, and some had to wait for it, on different threads.
    const acquires = ofKind(events, 'lock-acquire')
    expect(acquires.length).toBeGreaterThanOrEqual(CLIENTS * OPS)
    expect(ofKind(events, 'lock-release')).toHaveLength(acquires.length)
    const waits = ofKind(events, 'lock-wait')
    expect(waits.length).toBeGreaterThan(0)
    expect(acquires.some((a) => a.waitedUs > 500)).toBe(true)
    expect(new Set(acquires.map((a) => a.src.tid)).size).toBe(CLIENTS + 2)
    // The balance lives in memory all threads share.
    expect(ofKind(events, 'state').every((s) => s.memory === 'shared' && s.src.tid > 0)).toBe(true)
    expect(lostUpdateSeen(events)).toBe(false)
  })

  it('thread model, lock off: updates are lost, and the events show the interleaving that loses them', async () => {
    // Nearly every run loses hundreds; a run that loses none would be a fluke worth a retry, not a pass.
    let lost = 0
    let events: readonly SockscopeEvent[] = []
    for (let attempt = 0; attempt < 3 && lost === 0; attempt++) {
      const run = await runBank({ model: 'thread', lock: 'off' })
      lost = run.expected - run.said
      events = run.events
    }
    expect(lost).toBeGreaterThan(0)
    expect(lostUpdateSeen(events)).toBe(true)
    expect(ofKind(events, 'lock-acquire')).toHaveLength(0)
  })

  it('one thread: asyncio loses updates at its awaits; select, whose sleep blocks the loop, cannot', async () => {
    const asyncio = await runBank({ model: 'asyncio', lock: 'off' })
    expect(asyncio.said).toBeLessThan(asyncio.expected)
    expect(lostUpdateSeen(asyncio.events)).toBe(true)
    const select = await runBank({ model: 'select', lock: 'off' })
    expect(select.said).toBe(select.expected)
    expect(lostUpdateSeen(select.events)).toBe(false)
    expect(ofKind(select.events, 'state').every((s) => s.memory === 'process')).toBe(true)
  })

  it('fork model: every child has its own copy of the balances, and the events name it', async () => {
    const { said, expected, events } = await runBank({ model: 'fork', lock: 'on', reap: 'immediate' })
    // The auditor's own child started from the parent's copy, which nobody ever changed.
    expect(said).toBe(0)
    expect(expected).toBeGreaterThan(0)
    const forks = ofKind(events, 'fork')
    const states = ofKind(events, 'state')
    expect(states.every((s) => s.memory === 'copy')).toBe(true)
    // Each connection's child reads and writes only its own copy, under its own pid, starting at 0.
    for (const fork of forks) {
      const own = states.filter((s) => s.conn === fork.conn)
      expect(own.every((s) => s.src.pid === fork.childPid)).toBe(true)
      if (own.length) expect(own[0]).toMatchObject({ access: 'read', value: 0 })
    }
    expect(new Set(states.map((s) => s.src.pid)).size).toBe(CLIENTS + 2)
  })

  it('a client that resets while its update holds the lock does not leave the lock held', async () => {
    scenario = await startScenario({ model: 'select', app: 'bank', lock: 'on' })
    // One deposit, then a reset before reading the reply: the server's reply inside the lock fails.
    const reset = await scenario.clients({ workload: 'reset', count: 3, words: ['jack:dp\r\n', 'jack:dp\r\n'], hold: 0 })
    expect(reset.results).toHaveLength(3)
    const { results } = await scenario.clients({ workload: 'bank', count: 4, ops: 10, timeout: 5 })
    await scenario.stop()
    expect(results.filter((r) => r.error)).toEqual([])
    const { events } = scenario
    const resetConns = new Set(reset.results.map((r) => r.conn))
    // (A client that reset before its connection was accepted may never reach the server at all.)
    const accepted = ofKind(events, 'accept').filter((a) => resetConns.has(a.conn) || a.conn.startsWith('?'))
    expect(accepted.length).toBeGreaterThan(0)
    for (const { conn } of accepted) {
      const acquire = firstOn(events, conn, 'lock-acquire', 'server')
      if (acquire) expect(firstOn(events, conn, 'lock-release', 'server')!.t).toBeGreaterThan(acquire.t)
      expect(firstOn(events, conn, 'close', 'server')).toBeDefined()
    }
    // At least one of them failed while it held the lock, and let it go.
    const failedHolding = accepted.some(({ conn }) => firstOn(events, conn, 'lock-acquire', 'server') && firstOn(events, conn, 'error', 'server'))
    expect(failedHolding).toBe(true)
  })
})
