import { afterEach, describe, expect, it } from 'vitest'
import { ofKind, type Scenario, startScenario } from '../../helpers/lab-run.ts'

/**
 * A server whose main thread only accepts and hands connections on (fork, thread, and
 * socketserver on either) sits in accept() between connections: its main thread's state
 * is a block on 'accept', ended by each connection it takes and begun again after.
 */
describe('AcceptWait: the main thread sits in accept() between connections', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  for (const spec of [{ model: 'fork', reap: 'immediate' as const }, { model: 'thread' }, { model: 'socketserver', mixin: 'threading' as const }]) {
    it(`${spec.model}${'mixin' in spec ? ` --mixin ${spec.mixin}` : ''}`, async () => {
      scenario = await startScenario({ ...spec, app: 'echo' })
      const s = scenario
      await s.waitFor((e) => e.kind === 'block' && e.on === 'accept')
      const { results } = await s.clients({ count: 3, words: ['a'] })
      expect(results.map((r) => r.replies.join())).toEqual(['a', 'a', 'a'])
      await s.waitFor(() => ofKind(s.events, 'accept').length === 3 && ofKind(s.events, 'block').filter((b) => b.on === 'accept' && b.src.tid === 0).length === 4)
      await s.stop()
      const main = s.events.filter((e) => e.src.pid === s.serverPid && e.src.tid === 0 && (e.kind === 'block' || e.kind === 'unblock' || e.kind === 'accept')).sort((a, b) => a.t - b.t)
      // block, then per connection: unblock, accept, block again; no connection's name on the wait.
      expect(main.map((e) => e.kind)).toEqual(['block', 'unblock', 'accept', 'block', 'unblock', 'accept', 'block', 'unblock', 'accept', 'block'])
      for (const e of main.filter((x) => x.kind !== 'accept')) expect(e).toMatchObject({ on: 'accept' })
      for (const e of main.filter((x) => x.kind !== 'accept')) expect((e as { conn?: string }).conn).toBeUndefined()
      const unblocks = ofKind(main, 'unblock')
      const blocks = ofKind(main, 'block')
      unblocks.forEach((u, i) => expect(u.blockedUs).toBeCloseTo(u.t - blocks[i]!.t, 0))
    })
  }
})
