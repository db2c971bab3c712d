import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { StraceMapper } from '../../../src/servers/tracer/strace-mapper.ts'
import { StraceParser } from '../../../src/servers/tracer/strace-parser.ts'
import { fixture } from './strace-parser.test.ts'

function mapFixture(name: string): SockscopeEvent[] {
  const p = new StraceParser()
  const records = [...p.push(fixture(name)), ...p.end()]
  let origin: number | null = null
  return new StraceMapper({ run: 't1', app: name, toRunUs: (wall) => wall - (origin ??= wall) }).mapAll(records)
}

const of = <K extends SockscopeEvent['kind']>(events: SockscopeEvent[], kind: K) => events.filter((e): e is Extract<SockscopeEvent, { kind: K }> => e.kind === kind)

/** Each connection's server-side story: accept, then its reads and writes, then one close. */
function expectServed(events: SockscopeEvent[], conns: number) {
  const accepts = of(events, 'accept')
  expect(accepts.length).toBe(conns)
  for (const { conn } of accepts) {
    const mine = events.filter((e) => 'conn' in e && e.conn === conn).map((e) => e.kind)
    expect(mine.filter((k) => k === 'recv' || k === 'send' || k === 'accept' || k === 'close')).toEqual(['accept', 'recv', 'send', 'close'])
    expect(conn).toMatch(/^\d+>\d+$/)
  }
  for (const c of of(events, 'close')) expect(c.by).toBe('peer')
}

describe('StraceMapper on real traces', () => {
  it('fork server: a child per connection, real exits, reaps on the next accept with the zombie interval', () => {
    const events = mapFixture('fork')
    expectServed(events, 3)
    const forks = of(events, 'fork')
    expect(new Set(forks.map((f) => f.childPid)).size).toBe(3)
    // Each child's reads and writes are its own process's.
    for (const f of forks) for (const e of events.filter((e) => (e.kind === 'recv' || e.kind === 'send') && e.conn === f.conn)) expect(e.src.pid).toBe(f.childPid)
    const exits = of(events, 'exit').filter((e) => e.code === 0)
    expect(exits.map((e) => e.childPid).sort()).toEqual(forks.map((f) => f.childPid).sort())
    const reaps = of(events, 'reap')
    expect(reaps.length).toBe(3)
    const onAccept = reaps.filter((r) => r.trigger === 'accept')
    expect(onAccept.length).toBe(2)
    for (const r of reaps) {
      expect(r.modelled).toBe(false)
      const exit = exits.find((e) => e.childPid === r.childPid)!
      expect(r.zombieUs).toBeCloseTo(r.t - exit.t, 0)
      expect(r.zombieUs).toBeGreaterThan(100_000)
    }
    // The last child is reaped by init when the server is killed.
    expect(reaps.find((r) => r.trigger === 'server-exit')).toBeDefined()
  })

  it('fork server with SIGCHLD ignored: every child is gone as it exits (no zombie)', () => {
    const events = mapFixture('fork-signal')
    expectServed(events, 3)
    const reaps = of(events, 'reap')
    expect(reaps.length).toBe(3)
    for (const r of reaps) expect(r).toMatchObject({ zombieUs: 0, trigger: 'exit', policy: 'immediate', modelled: false })
  })

  it('thread server: a thread per connection, its calls on its own thread', () => {
    const events = mapFixture('thread')
    expectServed(events, 3)
    const starts = of(events, 'thread-start')
    expect(starts.length).toBe(3)
    for (const s of starts) {
      expect(s.src.tid).toBe(s.threadId)
      const recv = events.find((e) => e.kind === 'recv' && e.conn === s.conn)!
      expect(recv.src).toMatchObject({ pid: s.src.pid, tid: s.threadId })
    }
    expect(of(events, 'thread-end').length).toBe(3)
    // Each handler's time.sleep blocks its own thread.
    expect(of(events, 'block').filter((b) => b.on === 'sleep').map((b) => b.src.tid).sort()).toEqual(starts.map((s) => s.threadId).sort())
  })

  it('select server on two ports: wake-ups name what was ready, by connection and listening port', () => {
    const events = mapFixture('select')
    expect(of(events, 'listen').map((l) => l.port)).toEqual([50144, 50145])
    expectServed(events, 3)
    const wakeups = of(events, 'wakeup')
    const ready = new Set(wakeups.flatMap((w) => w.readable))
    expect(ready.has('listen:50144')).toBe(true)
    for (const a of of(events, 'accept')) expect(ready.has(a.conn)).toBe(true)
    expect(wakeups.some((w) => w.readable.length === 2)).toBe(true)
    for (const b of of(events, 'block').filter((b) => b.on === 'select')) expect(b.sockets).toBeGreaterThanOrEqual(2)
  })

  it('selectors, asyncio and Twisted servers (epoll): wake-ups by connection, each served', () => {
    for (const name of ['selectors', 'asyncio', 'twisted']) {
      const events = mapFixture(name)
      expectServed(events, 3)
      const ready = new Set(of(events, 'wakeup').flatMap((w) => [...w.readable, ...w.writable]))
      for (const a of of(events, 'accept')) expect(ready.has(a.conn), name).toBe(true)
    }
  })

  it('iterative server: one connection at a time, the accept blocked between them', () => {
    const events = mapFixture('iterative')
    expectServed(events, 3)
    const accepts = of(events, 'accept')
    const closes = of(events, 'close')
    for (let i = 1; i < accepts.length; i++) expect(accepts[i]!.t).toBeGreaterThan(closes[i - 1]!.t)
    expect(of(events, 'unblock').filter((u) => u.on === 'accept').length).toBeGreaterThanOrEqual(3)
  })

  it('holds the calls of a child whose clone has not yet returned in the stream, and routes them after', () => {
    const lines = [
      '100 1.000000 listen(3<TCP:[127.0.0.1:5000]>, 5) = 0 <0.000010>',
      '100 1.000100 accept4(3<TCP:[127.0.0.1:5000]>, {sa_family=AF_INET, sin_port=htons(40000), sin_addr=inet_addr("127.0.0.1")}, [16], SOCK_CLOEXEC) = 4<TCP:[127.0.0.1:5000->127.0.0.1:40000]> <0.000010>',
      '100 1.000200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1 <unfinished ...>',
      '101 1.000300 recvfrom(4<TCP:[127.0.0.1:5000->127.0.0.1:40000]>, "hi", 1024, 0, NULL, NULL) = 2 <0.000010>',
      '100 1.000400 <... clone resumed>) = 101 <0.000200>',
    ]
    const p = new StraceParser()
    const events = new StraceMapper({ run: 't1', app: 'x', toRunUs: (w) => w - 1_000_000 }).mapAll(p.push(lines.join('\n') + '\n'))
    expect(events.map((e) => e.kind)).toEqual(['listen', 'accept', 'fork', 'recv'])
    expect(events[3]).toMatchObject({ conn: '40000>5000', src: { pid: 101 }, t: 310, preview: 'hi' })
  })
})
