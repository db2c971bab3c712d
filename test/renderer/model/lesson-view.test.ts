import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { latestRun, LessonEvents, lessonRunIds } from '../../../src/renderer/model/lesson-view.ts'
import { naiveServerLesson } from '../../../src/servers/lessons/naive-server.ts'
import { evaluate } from '../../../src/servers/lessons/lesson.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { client, ev, server } from '../events.ts'

/** The naive server's lesson over n clients served one at a time, 0.5 s each, by run s1 for workload c2; another run's events beside. */
function naiveRun(n: number): SockscopeEvent[] {
  const s = server(100, 0, 's1')
  const c = client(200, 'c2')
  const other = server(300, 0, 's5')
  const events: SockscopeEvent[] = [ev('listen', 0, s, { host: '127.0.0.1', port: 4000, model: 'iterative', app: 'echo' })]
  for (let i = 0; i < n; i++) {
    const conn = `${5000 + i}>4000`
    const begin = 1000 + i * 500_000
    events.push(
      ev('connect', 1000, c, { conn, local: `127.0.0.1:${5000 + i}`, remote: '127.0.0.1:4000', handshakeUs: 20 }),
      ev('queued', 1010 + i, s, { conn, depth: i + 1 }),
      ev('accept', begin + 20, s, { conn, remote: `127.0.0.1:${5000 + i}`, waitedUs: begin + 10 - 1010 }),
      ev('close', begin + 500_000, s, { conn, by: 'peer' }),
      ev('close', begin + 500_010, c, { conn, by: 'local' }),
      ev('recv', begin + 30, other, { conn: `${6000 + i}>4001`, bytes: 1, preview: 'x' }),
    )
  }
  return events.sort((a, b) => a.t - b.t)
}

describe('a lesson over a recording', () => {
  const runs = { servers: { naive: 's1' }, clients: { clients: 'c2' } }

  it("decodes only the lesson's own runs, in time order, and its checkpoints tick as the events do", () => {
    const store = new EventStore()
    store.append(naiveRun(8))
    const decoder = new LessonEvents()
    const events = decoder.update(store, lessonRunIds(runs))
    expect(new Set(events.map((e) => e.src.run))).toEqual(new Set(['s1', 'c2']))
    expect(events.map((e) => e.t)).toEqual([...events.map((e) => e.t)].sort((a, b) => a - b))
    expect(events).toHaveLength(1 + 8 * 5)
    // The same list while the store has not grown: nothing is decoded again.
    expect(decoder.update(store, lessonRunIds(runs))).toBe(events)
    const all = evaluate(naiveServerLesson, { events, runs })
    expect(all.map((c) => [c.id, c.observed])).toEqual([['one-at-a-time', true], ['queue-wait', true], ['arrival-order', true]])
    // Halfway (the fourth client being served): nothing is noticed yet.
    const half = events.filter((e) => e.t <= 1000 + 3 * 500_000 + 100)
    expect(evaluate(naiveServerLesson, { events: half, runs }).filter((c) => c.observed)).toEqual([])
  })

  it('follows a store that grows, and another run set', () => {
    const store = new EventStore()
    const events = naiveRun(2)
    store.append(events.slice(0, 4))
    const decoder = new LessonEvents()
    expect(decoder.update(store, ['s1'])).toHaveLength(events.slice(0, 4).filter((e) => e.src.run === 's1').length)
    store.append(events.slice(4))
    expect(decoder.update(store, ['s1'])).toHaveLength(events.filter((e) => e.src.run === 's1').length)
    expect(decoder.update(store, ['s5'])).toHaveLength(2)
    expect(decoder.update(store, ['nobody'])).toEqual([])
  })

  it('the latest run of a lesson is the one followed', () => {
    const list = [
      { t: 5, lesson: 'naive-server', runs },
      { t: 9, lesson: 'fork-reap', runs },
      { t: 7, lesson: 'naive-server', runs: { servers: { naive: 's9' }, clients: { clients: 'c10' } } },
    ]
    expect(latestRun(list, 'naive-server')!.runs.servers.naive).toBe('s9')
    expect(latestRun(list, 'c10k')).toBeNull()
  })
})
