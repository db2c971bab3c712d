import type { Lesson } from './lesson.ts'
import { clientOrder, mostInService, ofRun, round, S, served } from './measure.ts'

const COUNT = 8
/** Each client holds the server this long: the seed's user typing at its interactive client (seed 003's version sleeps 5 s). */
const DELAY_S = 0.5
/** The queue wait of client k is (k − 1) turns of DELAY_S; a little less is allowed for the clients' own start spread. */
const MARGIN = 0.9

/**
 * Seed 000: the naive server serves one connection at a time; the others have connected
 * (the kernel completed their handshakes) and wait in the accept queue, in order.
 */
export const naiveServerLesson: Lesson = {
  id: 'naive-server',
  seed: { file: '000', part: 'TCP - Πρόβλημα #2: Πόσοι clients ταυτόχρονα;' },
  program: 'seed000-naive-server',
  steps: 3,
  scenario: {
    servers: { naive: { model: 'iterative', app: 'echo', delay: DELAY_S } },
    clients: [{ name: 'clients', server: 'naive', spec: { workload: 'burst', count: COUNT, words: ['Hello'] } }],
  },
  checkpoints: [
    {
      id: 'one-at-a-time',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.naive)
        const done = served(server).filter((s) => s.closedAt !== undefined).length
        const most = mostInService(server)
        return { observed: done === COUNT && most === 1, figures: { served: done, count: COUNT, most } }
      },
    },
    {
      id: 'queue-wait',
      check({ events, runs }) {
        const order = clientOrder(ofRun(events, runs.clients.clients))
        const last = order[COUNT - 1]
        const accept = served(ofRun(events, runs.servers.naive)).find((s) => s.conn === last)
        const waited = accept ? S(accept.waitedUs) : 0
        const expected = (COUNT - 1) * DELAY_S
        return {
          observed: waited >= expected * MARGIN,
          figures: { client: COUNT, ahead: COUNT - 1, waited: round(waited, 1), expected, delay: DELAY_S, seedWait: (COUNT - 1) * 5 },
        }
      },
    },
    {
      id: 'arrival-order',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.naive)
        const queued = server.filter((e) => e.kind === 'queued').map((e) => (e as { conn: string }).conn)
        const accepted = served(server).map((s) => s.conn)
        const inOrder = accepted.length === COUNT && accepted.every((c, i) => c === queued[i])
        return { observed: inOrder, figures: { count: COUNT, accepted: accepted.length } }
      },
    },
  ],
}
