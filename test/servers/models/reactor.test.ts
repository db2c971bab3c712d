import { afterEach, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { firstOn, ofKind, type Scenario, sendInPieces, startScenario } from '../../helpers/lab-run.ts'

const DELAY_S = 0.4

describe('reactor model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('calls the protocol back: buildProtocol, connectionMade, dataReceived…, connectionLost, each a phase', async () => {
    scenario = await startScenario({ model: 'reactor', app: 'length-prefixed' })
    // Seed 004's client: the message arrives in pieces, so dataReceived runs once per piece.
    // '11 Hello world' (14 bytes) in pieces of 4, each sent once the reactor has read the one before.
    const pieces = ['11 H', 'ello', ' wor', 'ld']
    const s = scenario
    const clients = await Promise.all([sendInPieces(s, pieces), sendInPieces(s, pieces)])
    await s.stop()
    const { events } = s
    expect(clients.map((c) => [c.reply, c.eof])).toEqual([
      ['Hello world', true],
      ['Hello world', true],
    ])
    for (const conn of ofKind(events, 'accept').map((a) => a.conn)) {
      const phases = events.filter((e): e is Extract<SockscopeEvent, { kind: 'phase' }> => e.kind === 'phase' && e.conn === conn)
      // Callbacks never overlap: every begin is followed by its own end.
      for (let i = 0; i < phases.length; i += 2) {
        expect(phases[i]).toMatchObject({ edge: 'begin' })
        expect(phases[i + 1]).toMatchObject({ edge: 'end', phase: phases[i]!.phase })
      }
      const names = phases.filter((p) => p.edge === 'begin').map((p) => p.phase)
      expect(names.slice(0, 2)).toEqual(['buildProtocol', 'connectionMade'])
      expect(names.at(-1)).toBe('connectionLost')
      // Four pieces, four reads: one dataReceived call each.
      expect(names.filter((n) => n === 'dataReceived')).toHaveLength(pieces.length)
      // transport.loseConnection() after n bytes: the server closed, not the client.
      expect(firstOn(events, conn, 'close', 'server')).toMatchObject({ by: 'local' })
      // Every recv was handed to a dataReceived callback that followed it.
      const recvs = ofKind(events, 'recv', 'server').filter((r) => r.conn === conn)
      for (const recv of recvs) expect(phases.some((p) => p.phase === 'dataReceived' && p.edge === 'begin' && p.t >= recv.t)).toBe(true)
    }
    // One reactor: one thread wakes up for everything.
    expect(ofKind(events, 'wakeup').length).toBeGreaterThan(0)
  })

  it('a delay is a callLater, not a sleep: 4 delayed clients take about one delay', async () => {
    scenario = await startScenario({ model: 'reactor', app: 'echo', delay: DELAY_S })
    const { results, spanMs } = await scenario.clients({ count: 4, words: ['ping'] })
    await scenario.stop()
    expect(results.every((r) => r.replies[0] === 'ping')).toBe(true)
    expect(spanMs).toBeGreaterThanOrEqual(DELAY_S * 1000)
    // One after another, 4 delays at least; side by side about one: under half the serial cost.
    expect(spanMs).toBeLessThan(0.5 * 4 * DELAY_S * 1000)
    expect(ofKind(scenario.events, 'phase').filter((p) => p.phase === 'callLater' && p.edge === 'begin')).toHaveLength(4)
  })
})
