import { childrenExited, childrenSeen } from './children.ts'
import type { Lesson } from './lesson.ts'
import { kind, ofRun, round, S } from './measure.ts'

const FIRST = 3
/** The seed's handleClient sleeps 5 s; here 0.5 s. */
const DELAY_S = 0.5
/** How long the exited children are left before the next client comes (the seed's `ps -f` between clients). */
const PAUSE_S = 0.5

/**
 * Seed 003's fork-server.py: a child per connection (os.fork), os._exit(0) at the end,
 * and reapChildren() — os.waitpid(0, WNOHANG) — only when the next connection is
 * accepted. In between, the dead children are zombies (<defunct>).
 */
export const forkReapLesson: Lesson = {
  id: 'fork-reap',
  seed: { file: '003', part: 'Forking Servers; Killing the zombies' },
  program: 'seed003-fork-server',
  steps: 4,
  scenario: {
    servers: { forking: { model: 'fork', app: 'echo-time', delay: DELAY_S, reap: 'on-accept' } },
    clients: [
      { name: 'first', server: 'forking', spec: { workload: 'burst', count: FIRST, words: ['Hello'] } },
      { name: 'next', server: 'forking', spec: { workload: 'burst', count: 1, words: ['again'] }, after: ['first'], until: childrenExited('forking', FIRST), pauseS: PAUSE_S },
    ],
  },
  checkpoints: [
    {
      id: 'process-per-client',
      check({ events, runs }) {
        const { forked, states } = childrenSeen(events, runs.servers.forking)
        const seen = [...states.values()].filter((s) => s.size > 0).length
        return { observed: new Set(forked).size === FIRST + 1 && seen === FIRST + 1, figures: { count: FIRST + 1, forked: forked.length, seen } }
      },
    },
    {
      id: 'children-in-parallel',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.forking)
        const firstExit = kind(server, 'exit')[0]?.t ?? Number.POSITIVE_INFINITY
        const before = kind(server, 'fork').filter((e) => e.t < firstExit).length
        return { observed: before >= FIRST, figures: { count: FIRST, before } }
      },
    },
    {
      id: 'zombie-until-accept',
      check({ events, runs }) {
        const reaps = kind(ofRun(events, runs.servers.forking), 'reap').filter((e) => e.trigger === 'accept')
        const zombies = reaps.map((e) => S(e.zombieUs))
        const shortest = zombies.length ? Math.min(...zombies) : 0
        return {
          observed: reaps.length >= FIRST && shortest >= PAUSE_S * 0.9,
          figures: { children: reaps.length, count: FIRST, shortest: round(shortest, 2), longest: round(Math.max(0, ...zombies), 2), pause: PAUSE_S },
        }
      },
    },
  ],
}
