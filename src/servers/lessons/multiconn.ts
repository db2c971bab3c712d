import type { Lesson } from './lesson.ts'
import { kind, ofRun, served } from './measure.ts'

/** Seed 001 runs its client with two connections and these two messages. */
const MESSAGES = ['Message 1 from client.', 'Message 2 from client.']
const COUNT = 2
const BYTES = MESSAGES.join('').length

/**
 * Seed 001's multiconn-server and multiconn-client: one selector, non-blocking sockets,
 * EVENT_READ | EVENT_WRITE, data.outb; the client closes once it has its bytes back, and
 * the server learns it is done only from that close.
 */
export const multiconnLesson: Lesson = {
  id: 'multiconn',
  seed: { file: '001', part: 'Πελάτης και διακομιστής πολλαπλών συνδέσεων' },
  program: 'seed001-multiconn-server',
  steps: 3,
  scenario: {
    servers: { selector: { model: 'select', app: 'echo', writeSelect: true } },
    clients: [{ name: 'multiconn', server: 'selector', spec: { workload: 'multiconn', count: COUNT, words: MESSAGES } }],
  },
  checkpoints: [
    {
      id: 'one-thread',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.selector)
        const threads = new Set(server.map((e) => `${e.src.pid}/${e.src.tid}`))
        const conns = served(server).length
        return { observed: conns === COUNT && threads.size === 1, figures: { count: conns, threads: threads.size } }
      },
    },
    {
      id: 'write-when-writable',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.selector)
        const wakeups = kind(server, 'wakeup')
        const writable = wakeups.filter((w) => w.writable.length > 0).length
        return { observed: writable > 0, figures: { wakeups: wakeups.length, writable } }
      },
    },
    {
      id: 'echoed-all',
      check({ events, runs }) {
        const received = new Map<string, number>()
        for (const e of kind(ofRun(events, runs.clients.multiconn), 'recv')) received.set(e.conn, (received.get(e.conn) ?? 0) + e.bytes)
        const whole = [...received.values()].filter((b) => b === BYTES).length
        return { observed: whole === COUNT, figures: { count: COUNT, whole, bytes: BYTES } }
      },
    },
    {
      id: 'client-closes-first',
      check({ events, runs }) {
        const byPeer = kind(ofRun(events, runs.servers.selector), 'close').filter((e) => e.by === 'peer').length
        return { observed: byPeer === COUNT, figures: { count: COUNT, byPeer } }
      },
    },
  ],
}
