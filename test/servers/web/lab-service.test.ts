import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { LabService, MAX_EVENTS_PER_MESSAGE } from '../../../src/servers/web/lab-service.ts'
import { type CompareStarted, type HostMessage, HostMessageSchema, type LessonRun, type RunInfo } from '../../../src/servers/web/protocol.ts'
import { findLesson } from '../../../src/servers/lessons/index.ts'
import { evaluate } from '../../../src/servers/lessons/lesson.ts'

/**
 * The lab behind the UI's API, with a real lab (real servers and clients on port 0): what
 * a workload computed reaches the run's info, a clear forgets the same for every session,
 * and the lab's messages come out in the form's words.
 */

let lab: Lab
let service: LabService

beforeAll(() => {
  lab = new Lab({ osSampling: false })
  service = new LabService(lab, { host: 'web', flushMs: 5 })
})

afterAll(async () => {
  await service?.dispose()
})

/** A session as a page would have it: every message checked by the protocol's schema. */
function session() {
  const messages: HostMessage[] = []
  const waiters = new Set<() => void>()
  const detach = service.attach((m) => {
    messages.push(HostMessageSchema.parse(JSON.parse(JSON.stringify(m))) as HostMessage)
    for (const wake of waiters) wake()
  })
  const waitFor = <T extends HostMessage>(match: (m: HostMessage) => m is T, timeoutMs = 30_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.findLast(match)
        if (!found) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve(found)
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error('timed out waiting for a host message'))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  const runs = () => messages.findLast((m) => m.type === 'runs' || m.type === 'hello') as Extract<HostMessage, { runs: RunInfo[] }>
  return { messages, waitFor, runs, detach }
}

async function call<T>(method: string, params: unknown): Promise<T> {
  const response = await service.handle({ type: 'request', id: 1, method, params })
  if (response.type !== 'response' || !response.ok) throw new Error(JSON.stringify(response))
  return response.result as T
}

const finished = (s: ReturnType<typeof session>, id: string) =>
  s.waitFor((m): m is Extract<HostMessage, { type: 'runs' }> => m.type === 'runs' && m.runs.some((r) => r.id === id && r.state === 'finished'))

describe('the lab service', () => {
  it("carries a workload's results to the run: the bank's audit, its clients apart from the auditor", async () => {
    const s = session()
    const server = await call<RunInfo>('startServer', { model: 'thread', app: 'bank', lock: 'on' })
    const clients = await call<RunInfo>('runClients', { workload: 'bank', port: server.ports![0], count: 3, ops: 12 })
    const done = (await finished(s, clients.id)).runs.find((r) => r.id === clients.id)!
    // 3 clients × 12 operations of (dp, dp, wd): +24 −12.
    expect(done.outcome).toMatchObject({
      ok: 3,
      failed: 0,
      errors: [],
      verdict: { check: 'audit', status: 'ok', expected: 12, actual: 12, headline: 'no update lost — balance 12, as expected' },
    })
    expect(done.outcome!.latency!.min).toBeLessThanOrEqual(done.outcome!.latency!.max)
    s.detach()
    await call('stopServer', { id: server.id })
  })

  it('runs the interactive workload on the lines given: the UI has no input box to end it', async () => {
    const s = session()
    const server = await call<RunInfo>('startServer', { model: 'select', app: 'bank' })
    const clients = await call<RunInfo>('runClients', { workload: 'interactive', port: server.ports![0], lines: ['jack:dp', 'jack:dp'], timeout: 2 })
    const done = (await finished(s, clients.id)).runs.find((r) => r.id === clients.id)!
    expect(done.outcome).toMatchObject({ ok: 1, failed: 0 })
    s.detach()
    await call('stopServer', { id: server.id })
  })

  it('startCompare: a server per model, each workload listed and released together; a bad model list refused, nothing started', async () => {
    const s = session()
    const { pairs } = await call<CompareStarted>('startCompare', { models: ['iterative', 'asyncio'], workload: 'burst', count: 2, delay: 0 })
    expect(pairs.map((p) => [p.model, p.server.kind, p.server.spec.model, p.clients.kind, p.clients.spec.port])).toEqual([
      ['iterative', 'server', 'iterative', 'clients', pairs[0]!.server.ports![0]],
      ['asyncio', 'server', 'asyncio', 'clients', pairs[1]!.server.ports![0]],
    ])
    for (const p of pairs) expect((await finished(s, p.clients.id)).runs.find((r) => r.id === p.clients.id)!.outcome).toMatchObject({ ok: 2, failed: 0 })
    const before = service.listRuns().length
    const bad = await service.handle({ type: 'request', id: 9, method: 'startCompare', params: { models: ['iterative'] } })
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_OPTION' } })
    expect(service.listRuns()).toHaveLength(before)
    s.detach()
    for (const p of pairs) await call('stopServer', { id: p.server.id })
  })

  it('runLesson: the scenario on real servers, every page told which run each name got; one at a time; its servers stopped at the end', async () => {
    const s = session()
    const started = await call<LessonRun>('runLesson', { id: 'naive-server' })
    expect(started).toMatchObject({ lesson: 'naive-server', state: 'running', runs: { servers: {}, clients: {} } })
    const refused = await service.handle({ type: 'request', id: 2, method: 'runLesson', params: { id: 'fork-reap' } })
    expect(refused).toMatchObject({ ok: false, error: { code: 'LIMIT_REACHED', message: expect.stringContaining('one lesson at a time: naive-server is still running') } })
    const lessonsMessage = (m: HostMessage): m is Extract<HostMessage, { type: 'lessons' }> => m.type === 'lessons'
    const done = await s.waitFor((m): m is Extract<HostMessage, { type: 'lessons' }> => lessonsMessage(m) && m.lessons.at(-1)!.state !== 'running', 60_000)
    const run = done.lessons.at(-1)!
    expect(run.state).toBe('finished')
    expect(run.problems).toEqual([])
    expect(run.runs.servers.naive).toMatch(/^s\d+$/)
    expect(run.runs.clients.clients).toMatch(/^c\d+$/)
    // The mapping came as the runs started: a message named the server before the workload.
    const partial = s.messages.filter(lessonsMessage).map((m) => m.lessons.at(-1)!.runs)
    expect(partial.some((r) => r.servers.naive && !r.clients.clients)).toBe(true)
    // The events the pages got tick every checkpoint, as the CLI's run does.
    const events = s.messages.flatMap((m) => (m.type === 'events' ? m.events : []))
    expect(evaluate(findLesson('naive-server'), { events, runs: run.runs }).filter((c) => !c.observed)).toEqual([])
    const listed = s.runs().runs.find((r) => r.id === run.runs.servers.naive)!
    expect(listed.state).toBe('stopped')
    // A page that joins later, and Save trace, have it too.
    const late = session()
    expect((late.messages[0] as Extract<HostMessage, { type: 'hello' }>).lessons.at(-1)).toMatchObject({ lesson: 'naive-server', state: 'finished', runs: run.runs })
    expect(service.recorded().lessons.at(-1)).toEqual({ t: run.t, lesson: 'naive-server', runs: run.runs })
    late.detach()
    s.detach()
    const unknown = await service.handle({ type: 'request', id: 3, method: 'runLesson', params: { id: 'nope' } })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_LESSON' } })
  }, 90_000)

  it('runLesson that cannot start everything it needs fails, says why, and leaves nothing of it running', async () => {
    // A lab that takes one server at a time: the bank lesson needs two.
    const small = new Lab({ osSampling: false, limits: { servers: 1 } })
    const narrow = new LabService(small, { host: 'web', flushMs: 5 })
    try {
      const seen: HostMessage[] = []
      narrow.attach((m) => void seen.push(m))
      const response = await narrow.handle({ type: 'request', id: 1, method: 'runLesson', params: { id: 'bank-race' } })
      expect(response).toMatchObject({ ok: true })
      const failed = await new Promise<LessonRun>((resolve) => {
        const poll = setInterval(() => {
          const last = seen.findLast((m) => m.type === 'lessons') as Extract<HostMessage, { type: 'lessons' }> | undefined
          const run = last?.lessons.at(-1)
          if (run && run.state !== 'running') resolve(run), clearInterval(poll)
        }, 20)
      })
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'LIMIT_REACHED' } })
      expect(narrow.listRuns().filter((r) => r.state === 'running' || r.state === 'stopping')).toEqual([])
      // And the next lesson may run.
      expect(await narrow.handle({ type: 'request', id: 2, method: 'runLesson', params: { id: 'naive-server' } })).toMatchObject({ ok: true })
    } finally {
      await narrow.dispose()
    }
  }, 60_000)

  it("says the lab's refusals in the form's words, not the command line's", async () => {
    const busy = net.createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const port = (busy.address() as net.AddressInfo).port
    try {
      const inUse = await service.handle({ type: 'request', id: 7, method: 'startServer', params: { model: 'iterative', port } })
      expect(inUse).toMatchObject({ type: 'response', id: 7, ok: false, error: { code: 'PORT_IN_USE' } })
      const message = (inUse as { error: { message: string } }).error.message
      expect(message).toContain('set Port to 0 (any free port)')
      expect(message).not.toMatch(/--[a-z]/)
      const tooMany = await service.handle({ type: 'request', id: 8, method: 'runClients', params: { port, count: 5000 } })
      expect((tooMany as { error: { message: string } }).error.message).toBe('Clients must be an integer from 1 to 1000, not 5000')
    } finally {
      busy.close()
    }
  })

  // A cleared timeline must not keep what it cleared (the process table kept every exited
  // run), and a page that loads after the clear must see what a page that saw it sees.
  it('clear: forgets the runs that ended and the events so far, for the sessions there and those that join later', async () => {
    const s = session()
    const stopped = await call<RunInfo>('startServer', { model: 'iterative', app: 'echo' })
    const live = await call<RunInfo>('startServer', { model: 'iterative', app: 'echo' })
    const burst = await call<RunInfo>('runClients', { port: live.ports![0], count: 2 })
    await finished(s, burst.id)
    await call('stopServer', { id: stopped.id })
    const before = s.messages.length

    await call('clear', {})
    const cleared = await s.waitFor((m): m is Extract<HostMessage, { type: 'cleared' }> => m.type === 'cleared')
    const after = await s.waitFor((m): m is Extract<HostMessage, { type: 'runs' }> => m.type === 'runs' && s.messages.indexOf(m) > before)
    expect(after.runs.map((r) => r.id)).toEqual([live.id])

    const late = session()
    const hello = await late.waitFor((m): m is Extract<HostMessage, { type: 'hello' }> => m.type === 'hello')
    expect(hello.clearedAt).toBe(cleared.now)
    expect(hello.runs.map((r) => r.id)).toEqual([live.id])
    // What it replays starts after the clear (the OS's latest readings aside: none, sampling is off here).
    const replayed = late.messages.flatMap((m) => (m.type === 'events' ? m.events : []))
    expect(replayed.every((e) => e.t >= cleared.now)).toBe(true)
    late.detach()
    s.detach()
    await call('stopAll', {})
  })

  // A page that joins a long run gets the history a part at a time, when it has room, while
  // the run goes on: it must end up with what a page that was there all along saw, once each.
  it('replays the history to a paced session in bounded parts, then live, with nothing lost or doubled', async () => {
    const s = session()
    const server = await call<RunInfo>('startServer', { model: 'thread', app: 'bank' })
    const first = await call<RunInfo>('runClients', { workload: 'bank', port: server.ports![0], count: 4, ops: 300 })
    await finished(s, first.id)

    const paced: HostMessage[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    let asked = 0
    const detach = service.attach({
      send: (m) => void paced.push(HostMessageSchema.parse(JSON.parse(JSON.stringify(m))) as HostMessage),
      ready: async () => {
        asked++
        await gate
        return true
      },
    })
    // Held at its first part, it misses the next run's live events, which come from the history later.
    const second = await call<RunInfo>('runClients', { workload: 'bank', port: server.ports![0], count: 2, ops: 50 })
    await finished(s, second.id)
    expect(paced.some((m) => m.type === 'events' && m.events.length > 0)).toBe(false)
    expect(paced.some((m) => m.type === 'runs')).toBe(true) // runs go out at once
    release()
    await call('stopServer', { id: server.id })
    const key = (e: { kind: string; t: number; src: { run: string } }) => `${e.kind}@${e.t}@${e.src.run}`
    const seen = () => s.messages.flatMap((m) => (m.type === 'events' ? m.events : [])).map(key)
    const got = () => paced.flatMap((m) => (m.type === 'events' ? m.events : [])).map(key)
    const deadline = Date.now() + 20_000
    while (got().length < seen().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 100))
    expect(got()).toEqual(seen())
    expect(seen().length).toBeGreaterThan(2 * MAX_EVENTS_PER_MESSAGE)
    expect(asked).toBeGreaterThan(2)
    expect(Math.max(...paced.map((m) => (m.type === 'events' ? m.events.length : 0)))).toBeLessThanOrEqual(MAX_EVENTS_PER_MESSAGE)
    detach()
    s.detach()
  })
})
