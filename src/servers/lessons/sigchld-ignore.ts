import { childrenExited, childrenSeen } from './children.ts'
import type { Lesson } from './lesson.ts'
import { kind, ofRun } from './measure.ts'

const FIRST = 3
const DELAY_S = 0.5
const PAUSE_S = 0.5
const ALL = FIRST + 1

/**
 * Seed 003's fork-server-signal.py: `signal.signal(SIGCHLD, SIG_IGN)`, and the kernel
 * removes each child's entry as it exits; no reapChildren(), no zombie, ever.
 */
export const sigchldIgnoreLesson: Lesson = {
  id: 'sigchld-ignore',
  seed: { file: '003', part: 'Preventing zombies with signal handlers' },
  program: 'seed003-fork-sigchld-ignore',
  steps: 3,
  scenario: {
    servers: { forking: { model: 'fork', app: 'echo-time', delay: DELAY_S, reap: 'immediate' } },
    clients: [
      { name: 'first', server: 'forking', spec: { workload: 'burst', count: FIRST, words: ['Hello'] } },
      { name: 'next', server: 'forking', spec: { workload: 'burst', count: 1, words: ['again'] }, after: ['first'], until: childrenExited('forking', FIRST), pauseS: PAUSE_S },
    ],
  },
  checkpoints: [
    {
      id: 'reaped-at-exit',
      check({ events, runs }) {
        const reaps = kind(ofRun(events, runs.servers.forking), 'reap')
        const atExit = reaps.filter((e) => e.trigger === 'exit' && e.zombieUs === 0).length
        return { observed: atExit === ALL && reaps.length === ALL, figures: { count: ALL, atExit } }
      },
    },
    {
      id: 'nothing-at-accept',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.forking)
        const accepts = kind(server, 'accept').length
        const atAccept = kind(server, 'reap').filter((e) => e.trigger === 'accept').length
        return { observed: accepts === ALL && atAccept === 0, figures: { accepts, atAccept } }
      },
    },
    {
      id: 'os-never-zombie',
      check({ events, runs }) {
        const { forked, states } = childrenSeen(events, runs.servers.forking)
        const seen = [...states.values()].filter((s) => s.size > 0).length
        const zombies = [...states.values()].filter((s) => s.has('Z')).length
        return { observed: forked.length === ALL && seen === ALL && zombies === 0, figures: { count: ALL, seen, zombies } }
      },
    },
  ],
}
