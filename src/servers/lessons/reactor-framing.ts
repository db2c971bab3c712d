import type { Lesson } from './lesson.ts'
import { kind, ofRun } from './measure.ts'

const COUNT = 2
const WORDS = ['Hello', 'network', 'world']
const BODY = WORDS.join(' ').length
/** Bytes per TCP segment the client sends, so that dataReceived sees the message in pieces. */
const CHUNK = 3

/**
 * Seed 004: Twisted's reactor calls the protocol — connectionMade, dataReceived (on
 * partial or multiple messages), connectionLost; EchoCount reads the `<n> ` prefix,
 * echoes n bytes through transport.write and calls loseConnection().
 */
export const reactorFramingLesson: Lesson = {
  id: 'reactor-framing',
  seed: { file: '004', part: 'Bonus υλικό: Twisted και ένδειξη μεγέθους' },
  program: 'seed004-twisted-reactor',
  steps: 3,
  scenario: {
    servers: { reactor: { model: 'reactor', app: 'length-prefixed' } },
    clients: [{ name: 'clients', server: 'reactor', spec: { workload: 'length-prefixed', count: COUNT, words: WORDS, chunk: CHUNK, gap: 5 } }],
  },
  checkpoints: [
    {
      id: 'callbacks-in-order',
      check({ events, runs }) {
        const calls = new Map<string, string[]>()
        for (const e of kind(ofRun(events, runs.servers.reactor), 'phase'))
          if (e.edge === 'begin' && e.phase !== 'buildProtocol') calls.set(e.conn, [...(calls.get(e.conn) ?? []), e.phase])
        const ordered = [...calls.values()].filter(
          (c) => c[0] === 'connectionMade' && c.at(-1) === 'connectionLost' && c.slice(1, -1).length > 0 && c.slice(1, -1).every((p) => p === 'dataReceived'),
        ).length
        return { observed: ordered === COUNT, figures: { count: COUNT, ordered } }
      },
    },
    {
      id: 'partial-data',
      check({ events, runs }) {
        const perConn = new Map<string, number>()
        for (const e of kind(ofRun(events, runs.servers.reactor), 'phase'))
          if (e.edge === 'begin' && e.phase === 'dataReceived') perConn.set(e.conn, (perConn.get(e.conn) ?? 0) + 1)
        const fewest = perConn.size ? Math.min(...perConn.values()) : 0
        return { observed: perConn.size === COUNT && fewest > 1, figures: { fewest, message: `${BODY} `.length + BODY } }
      },
    },
    {
      id: 'echo-n-then-close',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.reactor)
        const sent = new Map<string, number>()
        for (const e of kind(server, 'send')) sent.set(e.conn, (sent.get(e.conn) ?? 0) + e.bytes)
        const closedByServer = new Set(kind(server, 'close').filter((e) => e.by === 'local').map((e) => e.conn))
        const exact = [...sent].filter(([conn, bytes]) => bytes === BODY && closedByServer.has(conn)).length
        return { observed: exact === COUNT, figures: { count: COUNT, exact, body: BODY } }
      },
    },
  ],
}
