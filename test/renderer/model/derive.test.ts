import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { ConnectionDeriver, type ConnectionTrack, deriveConnection, deriveLoop, deriveProcess, deriveThread, ItemEvents, parseConnId } from '../../../src/renderer/model/derive.ts'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../src/renderer/model/trace-model.ts'
import { client, ev, forkConnection, items, server } from '../events.ts'

const kinds = (phases: { kind: string; on?: string }[]) => phases.map((p) => (p.on ? `${p.kind}:${p.on}` : p.kind))

describe('deriveConnection', () => {
  it('reads the connection id as client port > server port', () => {
    expect(parseConnId('35252>45627')).toEqual({ clientPort: 35252, serverPort: 45627 })
  })

  it('turns a forked connection into queue → starting child → sleep → running / recv waits', () => {
    const track = deriveConnection('1>2', '1>2', items(forkConnection('1>2', 1000, 501)))
    expect(kinds(track.phases)).toEqual(['queued', 'spawn', 'blocked:sleep', 'working', 'blocked:recv', 'working', 'blocked:recv', 'working'])
    const [queued, spawn, sleep] = track.phases
    expect(queued).toMatchObject({ start: 1000, end: 1300 })
    // The child is "starting" from the fork until its own first event.
    expect(spawn).toMatchObject({ start: 1300, end: 151_000 })
    expect(sleep).toMatchObject({ start: 151_000, end: 5_151_000 })
    expect(track.phases.at(-1)!.end).toBe(track.serverCloseT)
    expect(track).toMatchObject({ acceptT: 1300, childPid: 501, serverPid: 100, serverRun: 's1', clientRun: 'c2', blockedOn: null })
    expect(track.clientCloseT).toBe(1000 + 151_500 + 5e6)
  })

  it('puts server-side I/O and client-side I/O on their own sides, sized by bytes', () => {
    const track = deriveConnection('1>2', '1>2', items(forkConnection('1>2', 0, 501)))
    const io = track.marks.filter((m) => m.kind === 'recv' || m.kind === 'send').map((m) => `${m.side}:${m.kind}:${m.bytes}`)
    expect(io).toEqual(['client:send:5', 'server:recv:5', 'server:send:39', 'client:recv:39'])
    expect(track.marks.some((m) => m.kind === 'block' || m.kind === 'unblock')).toBe(false)
  })

  it('keeps phases open while the connection is live', () => {
    const events = forkConnection('1>2', 0, 501).filter((e) => e.t < 3e6)
    const track = deriveConnection('1>2', '1>2', items(events))
    expect(kinds(track.phases)).toEqual(['queued', 'spawn', 'blocked:sleep'])
    expect(track.phases.at(-1)!.end).toBeNull()
    expect(track.blockedOn).toBe('sleep')
  })

  it('shows a connection that is still waiting in the accept queue (iterative)', () => {
    const s = server(100)
    const events = [
      ev('connect', 10, client(), { conn: '7>2', local: '', remote: '' }),
      ev('queued', 20, s, { conn: '7>2', depth: 3 }),
    ]
    const track = deriveConnection('7>2', '7>2', items(events))
    expect(track.phases).toEqual([{ kind: 'queued', start: 10, end: null, seq: 0 }])
    expect(track.acceptT).toBeNull()
  })

  it('ends a queue wait at the close when the server never accepted (stopped)', () => {
    const events = [ev('connect', 10, client(), { conn: '7>2', local: '', remote: '' }), ev('close', 500, client(), { conn: '7>2', by: 'error' })]
    const track = deriveConnection('7>2', '7>2', items(events))
    expect(track.phases).toEqual([{ kind: 'queued', start: 10, end: 500, seq: 0 }])
  })

  it('has a thread start as the spawn phase of the thread model', () => {
    const s = server(100)
    const t = server(100, 3)
    const events = [
      ev('accept', 100, s, { conn: '9>2', remote: '', waitedUs: 0 }),
      ev('thread-start', 900, t, { conn: '9>2', threadId: 3 }),
      ev('block', 1000, t, { conn: '9>2', on: 'sleep' }),
      ev('unblock', 2000, t, { conn: '9>2', on: 'sleep', blockedUs: 1000 }),
      ev('close', 2500, t, { conn: '9>2', by: 'peer' }),
      ev('thread-end', 2600, t, { conn: '9>2', threadId: 3 }),
    ]
    const track = deriveConnection('9>2', '9>2', items(events))
    expect(kinds(track.phases)).toEqual(['spawn', 'working', 'blocked:sleep', 'working'])
    expect(track.phases[0]).toMatchObject({ start: 100, end: 900 })
    expect(track.threadId).toBe(3)
  })

  it('counts lock waits as blocked on the lock', () => {
    const t = server(100, 2)
    const events = [
      ev('accept', 0, server(100), { conn: '9>2', remote: '', waitedUs: 0 }),
      ev('lock-wait', 10, t, { conn: '9>2', lock: 'balances' }),
      ev('lock-acquire', 40, t, { conn: '9>2', lock: 'balances', waitedUs: 30 }),
    ]
    const track = deriveConnection('9>2', '9>2', items(events))
    expect(kinds(track.phases)).toEqual(['working', 'blocked:lock', 'working'])
  })
})

describe('deriveProcess', () => {
  const all = [...forkConnection('1>2', 0, 501), ev('reap', 9e6, server(100), { childPid: 501, conn: '1>2', policy: 'on-accept', trigger: 'accept', zombieUs: 3.84e6, modelled: true })]

  it('follows a forked child from fork to reap: starting, running, sleeping, zombie', () => {
    const p = deriveProcess(501, items(all))
    expect(p).toMatchObject({ role: 'child', ppid: 100, conn: '1>2', startT: 2000, firstOwnT: 150_000, exitT: 5_160_000, reapT: 9e6, reapModelled: true, reapTrigger: 'accept' })
    expect(kinds(p.phases)).toEqual(['starting', 'sleeping:sleep', 'running', 'sleeping:recv', 'running', 'sleeping:recv', 'running', 'zombie'])
    expect(p.phases.at(-1)).toMatchObject({ kind: 'zombie', start: 5_160_000, end: 9e6 })
    expect(p.marks.map((m) => m.kind)).toEqual(['fork', 'exit', 'reap'])
  })

  it('leaves the zombie open until the reap arrives', () => {
    const p = deriveProcess(501, items(all.filter((e) => e.kind !== 'reap')))
    expect(p.phases.at(-1)).toMatchObject({ kind: 'zombie', end: null })
    expect(p.reapT).toBeNull()
  })

  it('draws no zombie when the reap comes with the exit (SIGCHLD ignored)', () => {
    const exit = all.find((e) => e.kind === 'exit')!
    const events = [...all.filter((e) => e.kind !== 'reap'), ev('reap', exit.t, server(100), { childPid: 501, policy: 'immediate', trigger: 'exit', zombieUs: 0, modelled: true })]
    expect(deriveProcess(501, items(events)).phases.some((p) => p.kind === 'zombie')).toBe(false)
  })

  it('sees the server itself: its accepts and forks as marks, its threads counted', () => {
    const s = server(100)
    const events = [
      ev('listen', 0, s, { host: '127.0.0.1', port: 2, model: 'thread', app: 'echo' }),
      ev('accept', 10, s, { conn: '1>2', remote: '', waitedUs: 0 }),
      ev('thread-start', 20, server(100, 2), { conn: '1>2', threadId: 2 }),
      ev('thread-start', 30, server(100, 3), { conn: '3>2', threadId: 3 }),
      ev('thread-end', 40, server(100, 2), { conn: '1>2', threadId: 2 }),
    ]
    const p = deriveProcess(100, items(events))
    expect(p).toMatchObject({ role: 'server', liveThreads: 1, threadsStarted: 2, run: 's1' })
    expect(p.marks.map((m) => m.kind)).toEqual(['listen', 'accept'])
  })

  it('shows the iterative server sleeping in accept', () => {
    const s = server(100)
    const p = deriveProcess(100, items([ev('listen', 0, s, { host: '', port: 2, model: 'iterative', app: 'echo' }), ev('block', 5, s, { on: 'accept' })]))
    expect(p.blockedOn).toBe('accept')
    expect(kinds(p.phases)).toEqual(['running', 'sleeping:accept'])
  })

  it('keeps the OS sampler’s latest view of the process', () => {
    const proc = ev('proc', 50, { role: 'os', run: 'os', pid: 1, tid: 0 }, { change: 'changed', pid: 501, ppid: 100, state: 'Z', threads: 1, command: 'node' })
    expect(deriveProcess(501, items([...all, proc])).os).toMatchObject({ state: 'Z' })
  })
})

describe('deriveThread and deriveLoop', () => {
  it('a thread lives from start to end and sleeps when blocked', () => {
    const t = server(100, 4)
    const th = deriveThread(100, 4, items([
      ev('thread-start', 10, t, { conn: '1>2', threadId: 4 }),
      ev('block', 20, t, { conn: '1>2', on: 'recv' }),
      ev('unblock', 30, t, { conn: '1>2', on: 'recv', blockedUs: 10 }),
      ev('thread-end', 50, t, { conn: '1>2', threadId: 4 }),
    ]))
    expect(th).toMatchObject({ key: '100:4', startT: 10, endT: 50, conn: '1>2', blockedOn: null })
    expect(kinds(th.phases)).toEqual(['running', 'sleeping:recv', 'running'])
  })

  it('a loop has one wake-up per event with the size of its ready set', () => {
    const s = server(100)
    const loop = deriveLoop('s1', 100, 0, items([
      ev('wakeup', 10, s, { readable: ['L:2', '1>2'], writable: [], waitedUs: 10 }),
      ev('wakeup', 20, s, { readable: [], writable: ['1>2'], waitedUs: 5 }),
    ]))
    expect(loop.wakeups.map((w) => w.readable + w.writable)).toEqual([2, 1])
    expect(loop.maxReady).toBe(2)
  })
})

/** An asyncio server (pid 100) with two tasks that await a sleep, then finish; the loop waits in select() between turns. */
function asyncioServer() {
  const s = server(100)
  const task = { waiter: 'task' }
  return [
    ev('listen', 0, s, { host: '127.0.0.1', port: 2, model: 'asyncio', app: 'echo' }),
    ev('block', 10, s, { on: 'select', sockets: 1 }),
    ev('wakeup', 1000, s, { readable: ['listen:2'], writable: [], waitedUs: 990 }),
    ev('accept', 1010, s, { conn: '1>2', remote: '', waitedUs: 0 }),
    ev('task-start', 1020, s, { conn: '1>2', task: 'Task-1' }),
    ev('block', 1100, s, { conn: '1>2', on: 'sleep', ...task }),
    ev('block', 1200, s, { on: 'select', sockets: 2, timeoutMs: 400 }),
    ev('wakeup', 1300, s, { readable: ['listen:2'], writable: [], waitedUs: 100 }),
    ev('accept', 1310, s, { conn: '3>2', remote: '', waitedUs: 0 }),
    ev('task-start', 1320, s, { conn: '3>2', task: 'Task-2' }),
    ev('block', 1400, s, { conn: '3>2', on: 'sleep', ...task }),
    ev('block', 1500, s, { on: 'select', sockets: 3, timeoutMs: 300 }),
    ev('wakeup', 401_100, s, { readable: [], writable: [], waitedUs: 399_600 }),
    ev('unblock', 401_110, s, { conn: '1>2', on: 'sleep', blockedUs: 400_010, ...task }),
    ev('close', 401_200, s, { conn: '1>2', by: 'peer' }),
    ev('task-end', 401_210, s, { conn: '1>2', task: 'Task-1' }),
    ev('block', 401_300, s, { on: 'select', sockets: 2, timeoutMs: 100 }),
    ev('wakeup', 401_400, s, { readable: [], writable: [], waitedUs: 100 }),
    ev('unblock', 401_410, s, { conn: '3>2', on: 'sleep', blockedUs: 400_010, ...task }),
    ev('close', 401_500, s, { conn: '3>2', by: 'peer' }),
    ev('task-end', 401_510, s, { conn: '3>2', task: 'Task-2' }),
    ev('block', 401_600, s, { on: 'select', sockets: 1 }),
  ]
}

/** A select server's loop (pid 100): idle, serves #1, sleeps for it (--delay: the thread), parks it on recv, then is stuck in a send to it. */
function selectLoop() {
  const s = server(100)
  return [
    ev('block', 10, s, { on: 'select', sockets: 1 }),
    ev('wakeup', 1000, s, { readable: ['listen:2'], writable: [], waitedUs: 990 }),
    ev('accept', 1010, s, { conn: '1>2', remote: '', waitedUs: 0 }),
    ev('block', 1100, s, { conn: '1>2', on: 'sleep' }),
    ev('unblock', 301_100, s, { conn: '1>2', on: 'sleep', blockedUs: 300_000 }),
    ev('block', 301_200, s, { conn: '1>2', on: 'recv', waiter: 'task' }),
    ev('block', 301_300, s, { on: 'select', sockets: 2 }),
    ev('wakeup', 302_000, s, { readable: ['1>2'], writable: [], waitedUs: 700 }),
    ev('unblock', 302_010, s, { conn: '1>2', on: 'recv', blockedUs: 810, waiter: 'task' }),
    ev('recv', 302_020, s, { conn: '1>2', bytes: 65536, preview: 'xxx' }),
    ev('send', 302_030, s, { conn: '1>2', bytes: 65536, preview: 'xxx' }),
    ev('block', 302_040, s, { conn: '1>2', on: 'send' }),
  ]
}

describe('what a thread of control is doing (threadSleeps)', () => {
  it('an asyncio server: its lane waits in select(), never in a task’s await, and is idle in select() once the tasks are done', () => {
    const p = deriveProcess(100, items(asyncioServer()))
    expect(kinds(p.phases)).toEqual([
      'running', 'sleeping:select', 'running', 'sleeping:select', 'running', 'sleeping:select', 'running', 'sleeping:select', 'running', 'sleeping:select',
    ])
    expect(p.phases.some((x) => x.on === 'sleep')).toBe(false)
    expect(p.blockedOn).toBe('select')
    const last = p.phases.at(-1)!
    expect(last).toMatchObject({ start: 401_600, end: null, sockets: 1 })
    // Each wait ends at the wake-up that ends it, and says how many sockets it watched.
    expect(p.phases[5]).toMatchObject({ on: 'select', start: 1500, end: 401_100, sockets: 3, timeoutMs: 300 })
  })

  it('a fork server at its cap: holding off accept() is its own wait, with the cap, until a child exits', () => {
    const s = server(100)
    const p = deriveProcess(100, items([
      ev('listen', 0, s, { port: 2 }),
      ev('block', 10, s, { on: 'accept', cause: 'at-cap', limit: 2 }),
      ev('unblock', 500, s, { on: 'accept', blockedUs: 490 }),
      ev('block', 510, s, { on: 'accept' }),
    ]))
    expect(p.phases.filter((x) => x.kind === 'sleeping')).toMatchObject([
      { on: 'accept', cause: 'at-cap', limit: 2, start: 10, end: 500 },
      { on: 'accept', start: 510, end: null },
    ])
    expect(p.phases.at(-1)!.cause).toBeUndefined()
  })

  it('the asyncio loop lane says the same, with its wake-ups', () => {
    const loop = deriveLoop('s1', 100, 0, items(asyncioServer()))
    expect(loop.wakeups).toHaveLength(4)
    expect(loop.blockedOn).toBe('select')
    expect(loop.blockedFor).toBeNull()
    expect(loop.phases.filter((x) => x.kind === 'sleeping').every((x) => x.on === 'select')).toBe(true)
  })

  it('an asyncio connection awaits its sleep: its own wait, marked as a task’s', () => {
    const all = asyncioServer()
    const track = deriveConnection('1>2', '1>2', items(all.filter((e) => (e as { conn?: string }).conn === '1>2')))
    expect(track.task).toBe('Task-1')
    expect(kinds(track.phases)).toEqual(['working', 'blocked:sleep', 'working'])
    expect(track.phases[1]).toMatchObject({ task: true, start: 1100, end: 401_110 })
  })

  it('a select loop: select(), then the blocking sleep and the blocking send are the loop’s, naming the connection; a parked recv is not', () => {
    const loop = deriveLoop('s1', 100, 0, items(selectLoop()))
    expect(kinds(loop.phases)).toEqual(['sleeping:select', 'running', 'sleeping:sleep', 'running', 'sleeping:select', 'running', 'sleeping:send'])
    expect(loop.phases[2]).toMatchObject({ conn: '1>2', start: 1100, end: 301_100 })
    expect(loop.phases.at(-1)).toMatchObject({ on: 'send', conn: '1>2', end: null })
    expect(loop).toMatchObject({ blockedOn: 'send', blockedFor: '1>2' })
    // The process's lane (its main thread) agrees.
    const p = deriveProcess(100, items(selectLoop()))
    expect(kinds(p.phases)).toEqual(kinds(loop.phases))
    expect(p.blockedOn).toBe('send')
  })

  it('a select loop idle: one open wait in select() on every socket it watches', () => {
    const s = server(100)
    const loop = deriveLoop('s1', 100, 0, items([...selectLoop().slice(0, 9), ev('block', 302_100, s, { on: 'select', sockets: 2 })]))
    expect(loop.phases.at(-1)).toMatchObject({ kind: 'sleeping', on: 'select', sockets: 2, end: null })
    expect(loop.blockedOn).toBe('select')
  })

  it('a thread blocked in acquire() sleeps on the lock; a task waiting for one does not make its thread sleep', () => {
    const t = server(100, 2)
    const th = deriveThread(100, 2, items([
      ev('thread-start', 10, t, { conn: '1>2', threadId: 2 }),
      ev('lock-wait', 20, t, { conn: '1>2', lock: 'balances' }),
      ev('lock-acquire', 50, t, { conn: '1>2', lock: 'balances', waitedUs: 30 }),
      ev('lock-acquire', 60, t, { conn: '1>2', lock: 'balances', waitedUs: 0 }),
    ]))
    expect(kinds(th.phases)).toEqual(['running', 'sleeping:lock', 'running'])
    const s = server(100)
    const p = deriveProcess(100, items([
      ev('listen', 0, s, { host: '', port: 2, model: 'select', app: 'bank' }),
      ev('lock-wait', 20, s, { conn: '1>2', lock: 'balances', waiter: 'task' }),
      ev('lock-acquire', 50, s, { conn: '1>2', lock: 'balances', waitedUs: 30, waiter: 'task' }),
    ]))
    expect(kinds(p.phases)).toEqual(['running'])
  })

  it('a fork server sits in accept() between connections', () => {
    const s = server(100)
    const p = deriveProcess(100, items([
      ev('listen', 0, s, { host: '', port: 2, model: 'fork', app: 'echo' }),
      ev('block', 5, s, { on: 'accept' }),
      ev('unblock', 100, s, { on: 'accept', blockedUs: 95 }),
      ev('accept', 101, s, { conn: '1>2', remote: '', waitedUs: 0 }),
      ev('fork', 150, s, { conn: '1>2', childPid: 501 }),
      ev('block', 160, s, { on: 'accept' }),
    ]))
    expect(kinds(p.phases)).toEqual(['running', 'sleeping:accept', 'running', 'sleeping:accept'])
    expect(p.blockedOn).toBe('accept')
  })
})

describe('a connection served by an event loop', () => {
  it('waits for bytes until its client sends, then is ready and waits for the loop', () => {
    const s = server(100)
    const c = client(200)
    const track = deriveConnection('1>2', '1>2', items([
      ev('connect', 0, c, { conn: '1>2', local: '', remote: '', handshakeUs: 10 }),
      ev('accept', 100, s, { conn: '1>2', remote: '', waitedUs: 100 }),
      ev('block', 200, s, { conn: '1>2', on: 'recv', waiter: 'task' }),
      ev('send', 1000, c, { conn: '1>2', bytes: 3, preview: 'abc' }),
      ev('unblock', 300_000, s, { conn: '1>2', on: 'recv', blockedUs: 299_800, waiter: 'task' }),
      ev('recv', 300_010, s, { conn: '1>2', bytes: 3, preview: 'abc' }),
    ]))
    expect(kinds(track.phases)).toEqual(['queued', 'working', 'blocked:recv', 'ready:recv', 'working'])
    expect(track.phases[2]).toMatchObject({ start: 200, end: 1000 })
    expect(track.phases[3]).toMatchObject({ start: 1000, end: 300_000 })
  })

  it('a thread’s blocking recv is not split: the thread wakes when the bytes come', () => {
    const track = deriveConnection('1>2', '1>2', items(forkConnection('1>2', 0, 501)))
    expect(track.phases.some((x) => x.kind === 'ready')).toBe(false)
  })
})

describe('how a connection closed', () => {
  const s = server(100)
  const c = client(200)
  const open = [ev('connect', 0, c, { conn: '1>2', local: '', remote: '', handshakeUs: 10 }), ev('accept', 100, s, { conn: '1>2', remote: '', waitedUs: 100 })]

  it('a client that resets: the server received a reset, so the client sent it', () => {
    const track = deriveConnection('1>2', '1>2', items([
      ...open,
      ev('close', 5000, c, { conn: '1>2', by: 'local' }),
      ev('error', 5100, s, { conn: '1>2', code: 'CONNECTION_RESET', message: 'read ECONNRESET' }),
      ev('close', 5110, s, { conn: '1>2', by: 'error', reset: 'received' }),
    ]))
    expect(track.clientClose).toMatchObject({ by: 'local', reset: 'sent' })
    expect(track.serverClose).toMatchObject({ by: 'error', reset: 'received', error: 'CONNECTION_RESET' })
  })

  it('reads a reset from the error alone (older traces), and the client’s own word wins', () => {
    const track = deriveConnection('1>2', '1>2', items([
      ...open,
      ev('error', 5100, s, { conn: '1>2', code: 'CONNECTION_RESET', message: '' }),
      ev('close', 5110, s, { conn: '1>2', by: 'error' }),
      ev('close', 5200, c, { conn: '1>2', by: 'local', reset: 'sent' }),
    ]))
    expect(track.serverClose?.reset).toBe('received')
    expect(track.clientClose?.reset).toBe('sent')
  })

  it('a client the server reset: the client received it, the server sent it', () => {
    const track = deriveConnection('1>2', '1>2', items([
      ...open,
      ev('close', 5000, s, { conn: '1>2', by: 'error' }),
      ev('error', 5100, c, { conn: '1>2', code: 'CONNECTION_RESET', message: '' }),
      ev('close', 5110, c, { conn: '1>2', by: 'error' }),
    ]))
    expect(track.clientClose?.reset).toBe('received')
    expect(track.serverClose?.reset).toBe('sent')
  })

  it('an ordinary close names no reset', () => {
    const track = deriveConnection('1>2', '1>2', items(forkConnection('1>2', 0, 501)))
    expect(track.clientClose).toMatchObject({ by: 'local', reset: null })
    expect(track.serverClose).toMatchObject({ by: 'peer', reset: null })
  })
})

describe('a connection ready before its handler waits', () => {
  it('is ready for all of a wait that began with its client’s bytes unread (the loop was busy when they came)', () => {
    const s = server(100)
    const c = client(200)
    const track = deriveConnection('1>2', '1>2', items([
      ev('connect', 0, c, { conn: '1>2', local: '', remote: '', handshakeUs: 10 }),
      ev('accept', 100, s, { conn: '1>2', remote: '', waitedUs: 100 }),
      ev('send', 200, c, { conn: '1>2', bytes: 5, preview: 'Hello' }),
      // The loop slept (--delay) through the bytes' arrival; then its handler parks on recv.
      ev('block', 300_000, s, { conn: '1>2', on: 'recv', waiter: 'task' }),
      ev('unblock', 600_000, s, { conn: '1>2', on: 'recv', blockedUs: 300_000, waiter: 'task' }),
      ev('recv', 600_010, s, { conn: '1>2', bytes: 5, preview: 'Hello' }),
      // Everything read: the next wait is for bytes until the client sends again.
      ev('block', 600_100, s, { conn: '1>2', on: 'recv', waiter: 'task' }),
      ev('close', 700_000, c, { conn: '1>2', by: 'local' }),
      ev('unblock', 900_000, s, { conn: '1>2', on: 'recv', blockedUs: 299_900, waiter: 'task' }),
    ]))
    expect(kinds(track.phases)).toEqual(['queued', 'working', 'ready:recv', 'working', 'blocked:recv', 'ready:recv', 'working'])
    expect(track.phases[2]).toMatchObject({ start: 300_000, end: 600_000 })
    // Its close is an EOF that waits to be read, too.
    expect(track.phases[5]).toMatchObject({ start: 700_000, end: 900_000 })
  })
})

/**
 * Live, a connection's track is extended by the events that arrived since the last frame,
 * not derived again from its first: what it shows must be what one derive of all the
 * events shows, however the events were split into batches.
 */
describe('a connection derived as its events arrive', () => {
  /** A track as plain data: its fields, its phases, its instants. */
  const plain = (t: ConnectionTrack) => ({ ...t, ticks: undefined, marks: t.marks })

  /** Connections of every kind the derivation tells apart: forked, a task's waits, ready for its loop, reset, closed while blocked. */
  function scenarios(): { conn: string; events: SockscopeEvent[] }[] {
    const s = server(100)
    const c = client(200)
    const pingPong: SockscopeEvent[] = [
      ev('connect', 0, c, { conn: '5>2', local: '', remote: '', handshakeUs: 10 }),
      ev('accept', 100, s, { conn: '5>2', remote: '', waitedUs: 100 }),
    ]
    for (let i = 0, t = 200; i < 40; i++, t += 1000) {
      pingPong.push(
        ev('block', t, s, { conn: '5>2', on: 'recv', waiter: 'task' }),
        ev('send', t + 100, c, { conn: '5>2', bytes: 64, preview: 'a' }),
        ev('unblock', t + 300, s, { conn: '5>2', on: 'recv', blockedUs: 300, waiter: 'task' }),
        ev('recv', t + 310, s, { conn: '5>2', bytes: 64, preview: 'a' }),
        ev('send', t + 320, s, { conn: '5>2', bytes: 64, preview: 'a' }),
        ev('recv', t + 400, c, { conn: '5>2', bytes: 64, preview: 'a' }),
      )
    }
    pingPong.push(ev('block', 50_000, s, { conn: '5>2', on: 'recv', waiter: 'task' }), ev('close', 50_100, c, { conn: '5>2', by: 'local' }), ev('close', 50_200, s, { conn: '5>2', by: 'error', reset: 'received' }))
    const asyncio = asyncioServer().filter((e) => (e as { conn?: string }).conn === '1>2')
    return [
      { conn: '1>2', events: forkConnection('1>2', 0, 501) },
      { conn: '1>2', events: asyncio },
      { conn: '1>2', events: selectLoop().filter((e) => (e as { conn?: string }).conn === '1>2') },
      { conn: '5>2', events: pingPong },
    ]
  }

  it('extended one event at a time, or in batches of any size, gives what one derive of them all gives', () => {
    for (const { conn, events } of scenarios()) {
      const all = items(events)
      const whole = plain(deriveConnection(conn, conn, all))
      for (const step of [1, 2, 3, 7, 50]) {
        const deriver = new ConnectionDeriver(conn, conn)
        let track = deriver.extend(new ItemEvents([]))
        for (let n = step; n < all.length + step; n += step) {
          const upTo = Math.min(n, all.length)
          track = deriver.extend(new ItemEvents(all.slice(0, upTo)))
          // And at every step, what a derive of the events so far gives.
          expect(plain(track), `${conn}, ${upTo} events in steps of ${step}`).toEqual(plain(deriveConnection(conn, conn, all.slice(0, upTo))))
        }
        expect(plain(track)).toEqual(whole)
      }
    }
  })

  it('from the store, batch by batch, even when a batch comes late with earlier times, gives what one ingest of them all gives', () => {
    const events = scenarios().flatMap(({ events }, i) => events.map((e) => ({ ...e, t: e.t + i * 100_000 }) as SockscopeEvent))
    const sorted = [...events].sort((a, b) => a.t - b.t)
    const once = new TraceModel(new EventStore())
    once.ingest(once.store.append(sorted))
    const live = new TraceModel(new EventStore())
    // The server's events in batches as they come, each read before the next; the client's arrive late, in one batch.
    const serverSide = sorted.filter((e) => e.src.role === 'server')
    for (let i = 0; i < serverSide.length; i += 5) {
      live.ingest(live.store.append(serverSide.slice(i, i + 5)))
      live.connections()
    }
    live.ingest(live.store.append(sorted.filter((e) => e.src.role !== 'server')))
    // (Seqs differ: the two stores numbered the events in the order each received them.)
    const shown = (m: TraceModel) => JSON.parse(JSON.stringify(m.connections().map(plain), (k, v) => (k === 'seq' ? undefined : v)))
    expect(shown(live)).toEqual(shown(once))
  })
})
