import { describe, expect, it } from 'vitest'
import { deriveConnection, deriveLoop, deriveProcess, deriveThread, parseConnId } from '../../../src/renderer/model/derive.ts'
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
