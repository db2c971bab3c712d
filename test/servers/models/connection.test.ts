import { afterEach, describe, expect, it } from 'vitest'
import { closeEvent, isReset } from '../../../src/servers/models/connection.ts'
import { firstOn, type Scenario, startScenario } from '../../helpers/lab-run.ts'

describe('a close names a reset the peer sent', () => {
  it('closeEvent: ECONNRESET, EPIPE and a coded CONNECTION_RESET are resets; other failures are not', () => {
    const err = (code: string) => Object.assign(new Error(code), { code })
    for (const code of ['ECONNRESET', 'EPIPE', 'CONNECTION_RESET']) expect(isReset(err(code))).toBe(true)
    expect(closeEvent('1>2', 'error', err('ECONNRESET'))).toEqual({ kind: 'close', conn: '1>2', by: 'error', reset: 'received' })
    expect(closeEvent('1>2', 'error', err('BAD_PREFIX'))).toEqual({ kind: 'close', conn: '1>2', by: 'error' })
    expect(closeEvent('1>2', 'peer')).toEqual({ kind: 'close', conn: '1>2', by: 'peer' })
  })

  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  // Each way a server ends a connection that failed: finishConnection, a worker thread, a select loop, a reactor.
  for (const model of ['iterative', 'fork', 'thread', 'select', 'asyncio', 'reactor']) {
    it(`${model}: a client's reset mid-message closes the server's side with reset 'received'`, async () => {
      scenario = await startScenario({ model, app: 'echo' })
      const s = scenario
      const { results } = await s.clients({ workload: 'reset', count: 1, hold: 0.3, words: ['Hello', 'world'] })
      const conn = results[0]!.conn!
      const close = await s.waitFor((e) => e.kind === 'close' && e.src.role === 'server' && e.conn === conn)
      expect(close).toMatchObject({ by: 'error', reset: 'received' })
      expect(firstOn(s.events, conn, 'error', 'server')).toMatchObject({ code: 'CONNECTION_RESET' })
      // And the client's side says it was the one that reset, not a plain close.
      expect(await s.waitFor((e) => e.kind === 'close' && e.src.role === 'client' && e.conn === conn)).toMatchObject({ by: 'local', reset: 'sent' })
    })
  }
})
