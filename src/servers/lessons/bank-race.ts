import type { Lesson } from './lesson.ts'
import { kind, lostUpdates, ofRun, round, S } from './measure.ts'

const CLIENTS = 4
const OPS = 60
const ACCOUNT = 'jack'

const bank = { workload: 'bank', count: CLIENTS, ops: OPS, account: ACCOUNT } as const

/**
 * Seed 002: a thread per telnet client, one global `people` dict, and `people[name] += 1`
 * guarded by `lock.acquire()` / `lock.release()`. The same load runs against the same
 * server twice at once, without the lock and with it.
 */
export const bankRaceLesson: Lesson = {
  id: 'bank-race',
  seed: { file: '002', part: '[Python] Threading Socket Server' },
  program: 'seed002-bank',
  steps: 3,
  scenario: {
    servers: {
      unlocked: { model: 'thread', app: 'bank', lock: 'off' },
      locked: { model: 'thread', app: 'bank', lock: 'on' },
    },
    clients: [
      { name: 'unlocked', server: 'unlocked', spec: bank },
      { name: 'locked', server: 'locked', spec: bank },
    ],
  },
  checkpoints: [
    {
      id: 'lost-without-lock',
      check({ events, runs }) {
        const { writes, lost, expected, actual } = lostUpdates(ofRun(events, runs.servers.unlocked), ACCOUNT)
        return { observed: lost > 0, figures: { lost, writes, expected, actual, account: ACCOUNT } }
      },
    },
    {
      id: 'none-lost-with-lock',
      check({ events, runs }) {
        const { writes, lost, expected, actual } = lostUpdates(ofRun(events, runs.servers.locked), ACCOUNT)
        // Every client's every operation wrote (the default mix never withdraws from an empty account).
        return { observed: writes === CLIENTS * OPS && lost === 0 && actual === expected, figures: { writes, lost, expected, actual, account: ACCOUNT } }
      },
    },
    {
      id: 'threads-wait-for-lock',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.locked)
        const waits = kind(server, 'lock-wait').length
        const longest = Math.max(0, ...kind(server, 'lock-acquire').map((e) => e.waitedUs))
        return { observed: waits > 0, figures: { waits, longest: round(S(longest) * 1000, 1) } }
      },
    },
  ],
}
