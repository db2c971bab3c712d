import { afterEach, describe, expect, it } from 'vitest'
import { firstOn, ofKind, type Scenario, sendInPieces, startScenario } from '../../helpers/lab-run.ts'

const LIMIT = 16

/** The same app on an interpreter of each kind: stepped by a loop, awaited, blocking in a thread. */
for (const model of ['reactor', 'select', 'fork', 'thread']) {
  describe(`length-prefixed app (seed 004) on ${model}`, () => {
    let scenario: Scenario | undefined
    afterEach(async () => scenario?.stop())

    it('reassembles a prefix split byte by byte, echoes exactly n bytes, closes; refuses garbage and oversized prefixes', async () => {
      scenario = await startScenario({ model, app: 'length-prefixed', maxLength: LIMIT })
      const s = scenario
      // '11 Hello world' one byte at a time, each byte sent only once the server has read
      // the one before: a read per byte, on a forked child or a new thread however slowly it starts.
      const message = '11 Hello world'
      const [split, garbage, oversized, exact] = await Promise.all([
        sendInPieces(s, [...message]),
        s.clients({ workload: 'garbage-prefix', count: 1, hold: 5 }),
        s.clients({ workload: 'length-prefixed', count: 1, words: ['Hello', 'network', 'world'], chunk: 64 }),
        s.clients({ workload: 'length-prefixed', count: 1, words: ['x'.repeat(LIMIT)], chunk: 5, gap: 1 }),
      ])
      await s.stop()
      const { events } = s

      // The server read the prefix in pieces ('1', '1', ' '), and still echoed exactly the 11 bytes, then closed.
      expect(split).toMatchObject({ reply: 'Hello world', eof: true })
      const reads = ofKind(events, 'recv', 'server').filter((r) => r.conn === split.conn)
      expect(reads.map((r) => r.preview)).toEqual([...message])
      expect(firstOn(events, split.conn, 'close', 'server')).toMatchObject({ by: 'local' })

      // An HTTP request is not '<n> <data>': an error line, a close, an error event; the server lives on.
      expect(garbage.results[0]!.replies).toEqual([
        "error: bad length prefix 'GET': send '<n> <data>' with n in decimal digits\r\n",
        '(the server closed)',
      ])
      expect(firstOn(events, garbage.results[0]!.conn!, 'error', 'server')).toMatchObject({ code: 'BAD_PREFIX' })

      // 19 bytes announced, 16 allowed.
      const big = oversized.results[0]!
      expect(big.replies).toEqual([`error: length 19 is over the limit of ${LIMIT} bytes (--max-length)\r\n`])
      expect(firstOn(events, big.conn!, 'error', 'server')).toMatchObject({ code: 'TOO_LONG' })
      expect(firstOn(events, big.conn!, 'close', 'server')).toMatchObject({ by: 'local' })

      // Exactly at the limit is fine.
      expect(exact.results[0]!.error).toBeUndefined()
      expect(exact.results[0]!.replies).toEqual(['x'.repeat(LIMIT)])
    })
  })
}
