import { describe, expect, it } from 'vitest'
import type { EventSource, SockscopeEvent } from '../../../src/servers/events.ts'
import { bankRaceLesson } from '../../../src/servers/lessons/bank-race.ts'
import { forkReapLesson } from '../../../src/servers/lessons/fork-reap.ts'
import type { Lesson, LessonView } from '../../../src/servers/lessons/lesson.ts'
import { lostUpdates, mostAtOnce } from '../../../src/servers/lessons/measure.ts'
import { naiveServerLesson } from '../../../src/servers/lessons/naive-server.ts'
import { selectTwoPortsLesson } from '../../../src/servers/lessons/select-two-ports.ts'
import { sigchldIgnoreLesson } from '../../../src/servers/lessons/sigchld-ignore.ts'
import { evaluate, serversSettled } from '../../../src/servers/lessons/runner.ts'

/** Small hand-made streams, in the shape the lab records (µs since the run's origin). */
const server = (run = 's1', tid = 0): EventSource => ({ role: 'server', run, pid: 100, tid })
const client = (run = 'c1'): EventSource => ({ role: 'client', run, pid: 200, tid: 0 })
const at = (s: number) => s * 1e6
type Body = Record<string, unknown> & { kind: SockscopeEvent['kind'] }
const ev = (t: number, src: EventSource, body: Body) => ({ t: at(t), src, ...body }) as SockscopeEvent

function check(lesson: Lesson, id: string, view: LessonView) {
  return evaluate(lesson, view).find((c) => c.id === id)!
}

/** An iterative server's run: n clients connect at 0, each served for `delay` s in turn. */
function iterative(n: number, delay: number): SockscopeEvent[] {
  const events: SockscopeEvent[] = []
  for (let i = 0; i < n; i++) {
    const conn = `${5000 + i}>80`
    events.push(ev(0.001 * i, client(), { kind: 'connect', conn, local: '', remote: '', handshakeUs: 50 }))
    events.push(ev(0.002 + 0.001 * i, server(), { kind: 'queued', conn, depth: i + 1 }))
  }
  for (let i = 0; i < n; i++) {
    const conn = `${5000 + i}>80`
    const start = 0.01 + i * delay
    events.push(ev(start, server(), { kind: 'accept', conn, remote: '', waitedUs: at(start - 0.002 - 0.001 * i) }))
    events.push(ev(start + delay - 0.001, server(), { kind: 'close', conn, by: 'peer' }))
  }
  return events.sort((a, b) => a.t - b.t)
}

const naiveRuns = { servers: { naive: 's1' }, clients: { clients: 'c1' } }

describe('lesson checkpoints, over small event streams', () => {
  it('naive server: the eighth client waited seven turns in the accept queue, one at a time, in arrival order', () => {
    const view = { events: iterative(8, 0.5), runs: naiveRuns }
    expect(check(naiveServerLesson, 'queue-wait', view)).toMatchObject({ observed: true, figures: { client: 8, waited: 3.5, expected: 3.5, seedWait: 35 } })
    expect(check(naiveServerLesson, 'one-at-a-time', view)).toMatchObject({ observed: true, figures: { served: 8, most: 1 } })
    expect(check(naiveServerLesson, 'arrival-order', view).observed).toBe(true)
  })

  it('naive server: not observed while the run is still at its start (the playhead early), or when clients were served together', () => {
    const early = iterative(8, 0.5).filter((e) => e.t < at(1))
    expect(check(naiveServerLesson, 'queue-wait', { events: early, runs: naiveRuns })).toMatchObject({ observed: false, figures: { waited: 0 } })
    expect(check(naiveServerLesson, 'one-at-a-time', { events: early, runs: naiveRuns }).observed).toBe(false)
    // Every client accepted at once, as a threaded server would: nobody waited.
    const together = iterative(8, 0.5).map((e) => (e.kind === 'accept' ? { ...e, t: at(0.01), waitedUs: 8000 } : e.kind === 'close' ? { ...e, t: at(0.5) } : e))
    const view = { events: together, runs: naiveRuns }
    expect(check(naiveServerLesson, 'queue-wait', view).observed).toBe(false)
    expect(check(naiveServerLesson, 'one-at-a-time', view)).toMatchObject({ observed: false, figures: { most: 8 } })
  })

  it('lost updates: a write over a value another connection changed since it was read', () => {
    const state = (t: number, conn: string, access: 'read' | 'write', value: number) => ev(t, server(), { kind: 'state', conn, access, key: 'jack', value, memory: 'shared' })
    // A and B both read 0; A writes 1, B writes 1 over it: one deposit lost. Then C reads 1 and writes 2.
    const events = [state(1, 'A', 'read', 0), state(2, 'B', 'read', 0), state(3, 'A', 'write', 1), state(4, 'B', 'write', 1), state(5, 'C', 'read', 1), state(6, 'C', 'write', 2)]
    expect(lostUpdates(events, 'jack')).toEqual({ writes: 3, lost: 1, expected: 3, actual: 2 })
    expect(lostUpdates(events, 'jill')).toEqual({ writes: 0, lost: 0, expected: 0, actual: 0 })
    const view = { events, runs: { servers: { unlocked: 's1', locked: 's2' }, clients: {} } }
    expect(check(bankRaceLesson, 'lost-without-lock', view)).toMatchObject({ observed: true, figures: { lost: 1, writes: 3, expected: 3, actual: 2 } })
    // Nothing ran on the locked server: its "none lost" is not observed, for want of its updates.
    expect(check(bankRaceLesson, 'none-lost-with-lock', view)).toMatchObject({ observed: false, figures: { writes: 0 } })
  })

  it('fork: a zombie until the next accept, and none with SIGCHLD ignored', () => {
    const children = [301, 302, 303]
    const forkRun = (policy: 'on-accept' | 'immediate') => {
      const events: SockscopeEvent[] = []
      children.forEach((pid, i) => {
        events.push(ev(0.1 + i * 0.01, server(), { kind: 'accept', conn: `${i}>80`, remote: '', waitedUs: 10 }))
        events.push(ev(0.11 + i * 0.01, server(), { kind: 'fork', conn: `${i}>80`, childPid: pid }))
      })
      children.forEach((pid, i) => {
        events.push(ev(1 + i * 0.01, server(), { kind: 'exit', childPid: pid, conn: `${i}>80`, code: 0, signal: null }))
        if (policy === 'immediate') events.push(ev(1 + i * 0.01, server(), { kind: 'reap', childPid: pid, policy, trigger: 'exit', zombieUs: 0, modelled: true }))
      })
      events.push(ev(2, server(), { kind: 'accept', conn: '9>80', remote: '', waitedUs: 10 }))
      if (policy === 'on-accept')
        children.forEach((pid, i) => events.push(ev(2, server(), { kind: 'reap', childPid: pid, policy, trigger: 'accept', zombieUs: at(1 - i * 0.01), modelled: true })))
      events.push(ev(2.01, server(), { kind: 'fork', conn: '9>80', childPid: 304 }))
      return events
    }
    const runs = { servers: { forking: 's1' }, clients: {} }
    expect(check(forkReapLesson, 'zombie-until-accept', { events: forkRun('on-accept'), runs })).toMatchObject({ observed: true, figures: { children: 3, shortest: 0.98, longest: 1 } })
    expect(check(forkReapLesson, 'children-in-parallel', { events: forkRun('on-accept'), runs })).toMatchObject({ observed: true, figures: { before: 3 } })
    // The OS sampler saw none of the children here: "each under its own PID" is not claimed.
    expect(check(forkReapLesson, 'process-per-client', { events: forkRun('on-accept'), runs })).toMatchObject({ observed: false, figures: { forked: 4, seen: 0 } })
    expect(check(forkReapLesson, 'zombie-until-accept', { events: forkRun('immediate'), runs }).observed).toBe(false)
    expect(check(sigchldIgnoreLesson, 'nothing-at-accept', { events: forkRun('immediate'), runs })).toMatchObject({ observed: true, figures: { accepts: 4, atAccept: 0 } })
    expect(check(sigchldIgnoreLesson, 'nothing-at-accept', { events: forkRun('on-accept'), runs })).toMatchObject({ observed: false, figures: { atAccept: 3 } })
  })

  it('select: clients that came while the loop was stuck in send got nothing until it returned', () => {
    const runs = { servers: { blocking: 's1' }, clients: { first: 'c1', second: 'c2' } }
    const stalledRun = (replyAt: number) => [
      ev(1, server(), { kind: 'block', conn: '1>80', on: 'send', cause: 'peer-not-reading' }),
      ev(1.3, client('c1'), { kind: 'connect', conn: '2>80', local: '', remote: '', handshakeUs: 50 }),
      ev(1.4, client('c2'), { kind: 'connect', conn: '3>81', local: '', remote: '', handshakeUs: 50 }),
      ev(2.5, server(), { kind: 'unblock', conn: '1>80', on: 'send', blockedUs: at(1.5) }),
      ev(replyAt, client('c1'), { kind: 'recv', conn: '2>80', bytes: 5, preview: 'Hello' }),
      ev(replyAt, client('c2'), { kind: 'recv', conn: '3>81', bytes: 3, preview: 'Sir' }),
    ]
    expect(check(selectTwoPortsLesson, 'send-blocks-everyone', { events: stalledRun(2.6), runs })).toMatchObject({ observed: true, figures: { blocked: 1.5, stalled: 2, longest: 1.3 } })
    // Before the send returns, nothing is claimed yet.
    expect(check(selectTwoPortsLesson, 'send-blocks-everyone', { events: stalledRun(2.6).slice(0, 3), runs }).observed).toBe(false)
  })

  it('mostAtOnce: an interval that ends as another starts is not two at once; an open one lasts to the end', () => {
    expect(mostAtOnce([{ from: 0, to: 1 }, { from: 1, to: 2 }])).toBe(1)
    expect(mostAtOnce([{ from: 0, to: 2 }, { from: 1, to: 3 }, { from: 1.5 }])).toBe(3)
    expect(mostAtOnce([])).toBe(0)
  })

  it('a run is settled once the servers have reported the close of every connection the clients made', () => {
    const runs = { servers: { naive: 's1' }, clients: { clients: 'c1' } }
    const connect = ev(0, client(), { kind: 'connect', conn: '1>80', local: '', remote: '', handshakeUs: 50 })
    const clientClose = ev(1, client(), { kind: 'close', conn: '1>80', by: 'local' })
    const serverClose = ev(1.2, server(), { kind: 'close', conn: '1>80', by: 'peer' })
    expect(serversSettled({ events: [connect, clientClose], runs })).toBe(false)
    expect(serversSettled({ events: [connect, clientClose, serverClose], runs })).toBe(true)
    expect(serversSettled({ events: [], runs })).toBe(true)
  })
})
