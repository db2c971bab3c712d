import type { Lesson } from './lesson.ts'
import { kind, ofRun, round, S, served } from './measure.ts'

const COUNT = 8
/** seed 003's class-server sleeps 5 s in handle(); here 0.5 s. */
const DELAY_S = 0.5

const PHASES = ['setup', 'handle', 'finish'] as const

/**
 * Seed 000's second half: SocketServer.ThreadingTCPServer with an EchoRequestHandler
 * (setup, handle, finish): every request gets its own thread, and the main thread goes
 * straight back to accept().
 */
export const threadingTcpServerLesson: Lesson = {
  id: 'threading-tcpserver',
  seed: { file: '000', part: 'Πολλαπλά threads με το module SocketServer' },
  program: 'seed000-threading-tcpserver',
  steps: 3,
  scenario: {
    servers: { threaded: { model: 'socketserver', mixin: 'threading', app: 'echo', delay: DELAY_S } },
    clients: [{ name: 'clients', server: 'threaded', spec: { workload: 'burst', count: COUNT, words: ['Hello'] } }],
  },
  checkpoints: [
    {
      id: 'thread-per-request',
      check({ events, runs }) {
        const starts = kind(ofRun(events, runs.servers.threaded), 'thread-start')
        const threads = new Set(starts.map((e) => e.threadId))
        const conns = new Set(starts.map((e) => e.conn))
        return { observed: conns.size === COUNT && threads.size === COUNT && !threads.has(0), figures: { count: COUNT, threads: threads.size } }
      },
    },
    {
      id: 'setup-handle-finish',
      check({ events, runs }) {
        const begun = new Map<string, string[]>()
        for (const e of kind(ofRun(events, runs.servers.threaded), 'phase'))
          if (e.edge === 'begin') begun.set(e.conn, [...(begun.get(e.conn) ?? []), e.phase])
        const inOrder = [...begun.values()].filter((p) => p.length === PHASES.length && p.every((name, i) => name === PHASES[i])).length
        return { observed: inOrder === COUNT, figures: { count: COUNT, inOrder } }
      },
    },
    {
      id: 'accepts-while-serving',
      check({ events, runs }) {
        const conns = served(ofRun(events, runs.servers.threaded))
        const firstClose = Math.min(...conns.map((c) => c.closedAt ?? Number.POSITIVE_INFINITY))
        const lastAccept = Math.max(...conns.map((c) => c.acceptedAt))
        const first = conns.length ? Math.min(...conns.map((c) => c.acceptedAt)) : 0
        const longestWait = conns.length ? Math.max(...conns.map((c) => S(c.waitedUs))) : 0
        return {
          observed: conns.length === COUNT && lastAccept < firstClose,
          figures: { count: COUNT, accepted: conns.length, within: round(conns.length ? S(lastAccept - first) : 0, 2), longestWaitMs: round(longestWait * 1000, 1) },
        }
      },
    },
  ],
}
