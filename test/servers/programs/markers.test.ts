import { describe, expect, it } from 'vitest'
import type { EventBody, SockscopeEvent } from '../../../src/servers/events.ts'
import { findProgram } from '../../../src/servers/programs/index.ts'
import { type CodeMarker, eventsForLine, markersAt, type SeqEvent } from '../../../src/servers/programs/markers.ts'
import { readProgramFile } from '../../../src/servers/programs/node-source.ts'
import { type Program, resolveProgram } from '../../../src/servers/programs/program.ts'

const program = (id: string): Program => resolveProgram(findProgram(id), readProgramFile)

/** A server's events, one per call, 1 ms apart unless `at` says when. */
function recorder() {
  const events: SeqEvent[] = []
  let t = 0
  const at = (pid: number, body: EventBody, tid = 0, when?: number) => {
    t = when ?? t + 1000
    events.push({ seq: events.length, e: { ...body, t, src: { role: 'server', run: 's1', pid, tid } } as SockscopeEvent })
    return t
  }
  return { events, at }
}

const textOf = (p: Program, m: CodeMarker) => (m.line === null ? null : p.lines[m.line - 1]!.text.trim())
const summary = (p: Program, ms: CodeMarker[]) => ms.map((m) => ({ label: m.label, lane: m.laneKey, state: m.state, text: textOf(p, m) }))

describe('markersAt', () => {
  it('iterative: one process, at accept() while idle and at recv() while it serves', () => {
    const p = program('seed000-naive-server')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'iterative', app: 'echo' })
    at(10, { kind: 'block', on: 'accept' })
    const queued = at(10, { kind: 'queued', conn: 'a>1', depth: 1 })
    at(10, { kind: 'unblock', on: 'accept', blockedUs: 1 })
    at(10, { kind: 'accept', conn: 'a>1', remote: 'x', waitedUs: 1 })
    const recvWait = at(10, { kind: 'block', conn: 'a>1', on: 'recv' })
    const sleep = at(10, { kind: 'block', conn: 'a>1', on: 'sleep' })
    expect(summary(p, markersAt(p, events, queued))).toEqual([{ label: 'pid 10', lane: 'server:s1', state: 'blocked', text: 'clientsock, clientaddr = serversock.accept()' }])
    expect(summary(p, markersAt(p, events, recvWait))[0]!.text).toBe('data = clientsock.recv(1024)')
    // A wait the seed's code has not: no line claimed for it.
    const [m] = markersAt(p, events, sleep)
    expect(m).toMatchObject({ line: null, state: 'blocked', call: 'sleep (not in this code)' })
  })

  it('fork: the parent at accept(), each child at its own line, a zombie at os._exit(0) until reaped', () => {
    const p = program('seed003-fork-server')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'fork', app: 'echo-time' })
    at(10, { kind: 'accept', conn: 'a>1', remote: 'x', waitedUs: 1 })
    const forked = at(10, { kind: 'fork', conn: 'a>1', childPid: 11 })
    at(10, { kind: 'block', on: 'accept' })
    at(11, { kind: 'block', conn: 'a>1', on: 'sleep' })
    const sleeping = at(10, { kind: 'accept', conn: 'b>1', remote: 'y', waitedUs: 1 })
    at(10, { kind: 'fork', conn: 'b>1', childPid: 12 })
    at(10, { kind: 'block', on: 'accept' })
    at(11, { kind: 'unblock', conn: 'a>1', on: 'sleep', blockedUs: 1 })
    const reading = at(11, { kind: 'block', conn: 'a>1', on: 'recv' })
    at(11, { kind: 'close', conn: 'a>1', by: 'peer' })
    const exited = at(10, { kind: 'exit', childPid: 11, conn: 'a>1', code: 0, signal: null })
    at(10, { kind: 'unblock', on: 'accept', blockedUs: 1 })
    at(10, { kind: 'accept', conn: 'c>1', remote: 'z', waitedUs: 1 })
    const reaped = at(10, { kind: 'reap', childPid: 11, conn: 'a>1', policy: 'on-accept', trigger: 'accept', zombieUs: 1, modelled: true })

    expect(summary(p, markersAt(p, events, forked))).toEqual([
      { label: 'pid 10', lane: 'server:s1', state: 'running', text: 'childPid = os.fork( )                     # copy this process' },
      { label: 'pid 11', lane: 'proc:11', state: 'running', text: 'if childPid == 0:                         # if in child process: handle' },
    ])
    expect(summary(p, markersAt(p, events, sleeping)).map((m) => m.text?.split('  ')[0])).toEqual([
      'connection, address = sockobj.accept( )',
      'time.sleep(5)',
    ])
    const atRead = markersAt(p, events, reading)
    expect(atRead.map((m) => [m.label, textOf(p, m)?.split('  ')[0], m.state])).toEqual([
      ['pid 10', 'connection, address = sockobj.accept( )', 'blocked'],
      ['pid 11', 'data = connection.recv(1024)', 'blocked'],
      ['pid 12', 'if childPid == 0:', 'running'],
    ])
    expect(markersAt(p, events, exited).find((m) => m.pid === 11)).toMatchObject({ state: 'zombie', call: 'os._exit(0): zombie until reaped' })
    const after = markersAt(p, events, reaped)
    expect(after.map((m) => m.pid)).toEqual([10, 12])
    expect(textOf(p, after[0]!)).toMatch(/^reapChildren\( \)/)
  })

  it('thread: the main thread at accept(), each thread on its lane at its own call, a lock wait at lock.acquire()', () => {
    const p = program('seed002-bank')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'thread', app: 'bank' })
    at(10, { kind: 'block', on: 'accept' })
    at(10, { kind: 'thread-start', conn: 'a>1', threadId: 2 }, 2)
    at(10, { kind: 'lock-acquire', conn: 'a>1', lock: 'people', waitedUs: 0 }, 2)
    at(10, { kind: 'block', conn: 'a>1', on: 'sleep' }, 2)
    at(10, { kind: 'thread-start', conn: 'b>1', threadId: 3 }, 3)
    const waiting = at(10, { kind: 'lock-wait', conn: 'b>1', lock: 'people' }, 3)
    at(10, { kind: 'thread-end', conn: 'a>1', threadId: 2 }, 2)
    const ended = at(10, { kind: 'lock-acquire', conn: 'b>1', lock: 'people', waitedUs: 1 }, 3)
    expect(summary(p, markersAt(p, events, waiting))).toEqual([
      { label: 'pid 10', lane: 'server:s1', state: 'blocked', text: '(client, adr) = sock.accept()' },
      { label: 'thread 2', lane: 'thread:10:2', state: 'blocked', text: 'people[cont[0]] += 1' },
      { label: 'thread 3', lane: 'thread:10:3', state: 'blocked', text: 'lock.acquire()  # the lock block starts: one thread at a time past here' },
    ])
    expect(markersAt(p, events, ended).map((m) => [m.label, m.state])).toEqual([
      ['pid 10', 'blocked'],
      ['thread 3', 'running'],
    ])
  })

  it('select: one loop, at select() while it waits, at the call it makes once woken; a parked connection is no thread of control', () => {
    const p = program('seed003-select-two-ports')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'select', app: 'echo-time' })
    const idle = at(10, { kind: 'block', on: 'select', sockets: 2 })
    at(10, { kind: 'wakeup', readable: ['listen:1'], writable: [], waitedUs: 1 })
    at(10, { kind: 'accept', conn: 'a>1', remote: 'x', waitedUs: 0 })
    const parked = at(10, { kind: 'block', conn: 'a>1', on: 'recv', waiter: 'task' })
    at(10, { kind: 'wakeup', readable: ['a>1'], writable: [], waitedUs: 1 })
    const read = at(10, { kind: 'recv', conn: 'a>1', bytes: 3, preview: 'Sir' })
    const loop = (t: number) => summary(p, markersAt(p, events, t))
    expect(loop(idle)).toEqual([{ label: 'event loop', lane: 'loop:s1:10:0', state: 'blocked', text: 'readables, writeables, exceptions = select(readsocks, writesocks, [])' }])
    expect(loop(parked)).toEqual([{ label: 'event loop', lane: 'loop:s1:10:0', state: 'running', text: 'newsock, address = sockobj.accept( )      # accept should not block' }])
    expect(loop(read)[0]!.text).toBe('data = sockobj.recv(1024)                # recv should not block')
  })

  it('asyncio: the loop and one task per connection, each on its own line', () => {
    const p = program('seed001-asyncio-server')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'asyncio', app: 'echo' })
    at(10, { kind: 'wakeup', readable: ['listen:1'], writable: [], waitedUs: 1 })
    at(10, { kind: 'accept', conn: 'a>1', remote: 'x', waitedUs: 0 })
    at(10, { kind: 'task-start', conn: 'a>1', task: 'Task-1' })
    at(10, { kind: 'block', conn: 'a>1', on: 'sleep', waiter: 'task' })
    at(10, { kind: 'accept', conn: 'b>1', remote: 'y', waitedUs: 0 })
    at(10, { kind: 'task-start', conn: 'b>1', task: 'Task-2' })
    at(10, { kind: 'block', conn: 'b>1', on: 'recv', waiter: 'task' })
    const both = at(10, { kind: 'block', on: 'select', sockets: 3 })
    at(10, { kind: 'task-end', conn: 'b>1', task: 'Task-2' })
    const one = at(10, { kind: 'wakeup', readable: [], writable: [], waitedUs: 1 })
    expect(summary(p, markersAt(p, events, both))).toEqual([
      { label: 'event loop', lane: 'loop:s1:10:0', state: 'blocked', text: 'await server.serve_forever()' },
      { label: 'task #1', lane: 'conn:a>1', state: 'blocked', text: 'await asyncio.sleep(DELAY)  # simulate a blocking activity: the loop serves the others meanwhile' },
      { label: 'task #2', lane: 'conn:b>1', state: 'blocked', text: 'data = await reader.read(1024)  # this task waits; the loop does not' },
    ])
    expect(markersAt(p, events, one).map((m) => m.label)).toEqual(['event loop', 'task #1'])
  })

  it('a model program: the fork model\'s own TypeScript, parent and child on its lines', () => {
    const p = program('model-fork')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'fork', app: 'echo' })
    at(10, { kind: 'accept', conn: 'a>1', remote: 'x', waitedUs: 1 })
    at(10, { kind: 'fork', conn: 'a>1', childPid: 11 })
    at(10, { kind: 'block', on: 'accept' })
    const t = at(11, { kind: 'block', conn: 'a>1', on: 'recv' })
    const [parent, child] = markersAt(p, events, t)
    expect(p.parts[p.lines[parent!.line! - 1]!.part]!.file).toBe('models/listen.ts')
    expect(p.parts[p.lines[child!.line! - 1]!.part]!.file).toBe('models/runtime.ts')
    expect(child).toMatchObject({ call: 'io.recv()', state: 'blocked', laneKey: 'proc:11' })
  })
})

describe('eventsForLine', () => {
  it('gives the events that put a thread of control on the line: a recv line, its waits and its reads', () => {
    const p = program('seed003-fork-server')
    const { events, at } = recorder()
    at(10, { kind: 'listen', host: '127.0.0.1', port: 1, model: 'fork', app: 'echo-time' })
    at(10, { kind: 'accept', conn: 'a>1', remote: 'x', waitedUs: 1 })
    at(10, { kind: 'fork', conn: 'a>1', childPid: 11 })
    at(11, { kind: 'block', conn: 'a>1', on: 'recv' })
    at(11, { kind: 'unblock', conn: 'a>1', on: 'recv', blockedUs: 1 })
    at(11, { kind: 'recv', conn: 'a>1', bytes: 5, preview: 'Hello' })
    at(11, { kind: 'send', conn: 'a>1', bytes: 30, preview: 'Echo=>Hello' })
    const recvLine = p.lineOf.get('recv')!
    expect(eventsForLine(p, events, recvLine)).toEqual([3, 4, 5])
    expect(eventsForLine(p, events, p.lineOf.get('fork')!)).toEqual([2])
    expect(eventsForLine(p, events, 1)).toEqual([])
  })
})
