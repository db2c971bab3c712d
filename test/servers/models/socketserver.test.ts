import { afterEach, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { ofKind, type Scenario, servedIntervals, sideBySide, startScenario } from '../../helpers/lab-run.ts'

const DELAY_S = 0.3

describe('socketserver model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  for (const mixin of ['threading', 'forking'] as const) {
    it(`--mixin ${mixin}: setup, handle (with the delay), finish per connection, in parallel`, async () => {
      scenario = await startScenario({ model: 'socketserver', mixin, app: 'echo-time', delay: DELAY_S, reap: 'immediate' })
      const { results, spanMs } = await scenario.clients({ count: 3, words: ['Hello', 'world'] })
      await scenario.stop()
      const { events, serverPid } = scenario
      expect(results.every((r) => !r.error && r.replies.length === 2)).toBe(true)
      // Every client waited out one handler's delay...
      expect(spanMs).toBeGreaterThanOrEqual(DELAY_S * 1000)
      // ...and the three handlers ran side by side: served one after another (accept only
      // after the last close) the burst would cost at least the sum of each connection's
      // accept → close; side by side it costs about a third of that, start-ups included
      // (three Node processes or threads starting at once on a busy 2-core machine spread
      // their starts, which this margin allows for).
      expect(sideBySide(servedIntervals(events)).ratio).toBeLessThan(2 / 3)

      const conns = ofKind(events, 'accept').map((a) => a.conn)
      expect(conns).toHaveLength(3)
      for (const conn of conns) {
        const phases = events.filter((e): e is Extract<SockscopeEvent, { kind: 'phase' }> => e.kind === 'phase' && e.conn === conn)
        expect(phases.map((p) => `${p.phase}:${p.edge}`)).toEqual(['setup:begin', 'setup:end', 'handle:begin', 'handle:end', 'finish:begin', 'finish:end'])
        // handle() holds the simulated work and the whole conversation.
        const handle = phases.filter((p) => p.phase === 'handle')
        const sleep = ofKind(events, 'block').find((b) => b.conn === conn && b.on === 'sleep')!
        const lastRecv = ofKind(events, 'recv', 'server').filter((r) => r.conn === conn).at(-1)!
        expect(sleep.t).toBeGreaterThan(handle[0]!.t)
        expect(lastRecv.t).toBeLessThan(handle[1]!.t)
        if (mixin === 'threading') {
          // Each handler on its own worker thread of the server process.
          expect(phases.every((p) => p.src.pid === serverPid && p.src.tid > 0)).toBe(true)
        } else {
          const fork = ofKind(events, 'fork').find((f) => f.conn === conn)!
          expect(phases.every((p) => p.src.pid === fork.childPid)).toBe(true)
        }
      }
      expect(new Set(ofKind(events, 'phase').map((p) => `${p.src.pid}/${p.src.tid}`)).size).toBe(3)
    })
  }
})
