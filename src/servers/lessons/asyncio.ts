import type { Lesson } from './lesson.ts'
import { blockedIntervals, kind, mostAtOnce, ofRun, round, workloadSpan } from './measure.ts'

const COUNT = 8
/** `await asyncio.sleep(0.5)` in each client's coroutine (the seeds' 5 s, scaled). */
const DELAY_S = 0.5

/**
 * Seed 001's other road: asyncio, one thread, one event loop, a coroutine per client;
 * an `await` is the only place one coroutine lets another run.
 */
export const asyncioLesson: Lesson = {
  id: 'asyncio',
  seed: { file: '001', part: 'asyncio' },
  program: 'seed001-asyncio-server',
  steps: 3,
  scenario: {
    servers: { loop: { model: 'asyncio', app: 'echo', delay: DELAY_S } },
    clients: [{ name: 'clients', server: 'loop', spec: { workload: 'burst', count: COUNT, words: ['Hello'] } }],
  },
  checkpoints: [
    {
      id: 'task-per-client',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.loop)
        const tasks = new Set(kind(server, 'task-start').map((e) => e.conn)).size
        const threads = new Set(server.map((e) => `${e.src.pid}/${e.src.tid}`)).size
        return { observed: tasks === COUNT && threads === 1, figures: { count: COUNT, tasks, threads } }
      },
    },
    {
      id: 'awaits-overlap',
      check({ events, runs }) {
        const sleeps = blockedIntervals(ofRun(events, runs.servers.loop), 'sleep')
        const most = mostAtOnce(sleeps, events.at(-1)?.t)
        return { observed: most >= COUNT / 2, figures: { count: COUNT, most } }
      },
    },
    {
      id: 'about-one-delay',
      check({ events, runs }) {
        const { closed, spanS } = workloadSpan(ofRun(events, runs.clients.clients))
        const serial = COUNT * DELAY_S
        return { observed: closed === COUNT && spanS < serial / 2, figures: { count: COUNT, total: round(spanS, 2), serial, delay: DELAY_S } }
      },
    },
  ],
}
