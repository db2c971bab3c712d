import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../../src/servers/events.ts'
import { modelCaptionContext } from '../../../../src/renderer/model/captions/context.ts'
import { burstText, type CaptionContext, captionRule, PRIORITY } from '../../../../src/renderer/model/captions/rules.ts'
import { captionOf } from '../../../../src/renderer/model/captions/schedule.ts'
import { EventStore } from '../../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../../src/renderer/model/trace-model.ts'
import { client, ev, forkConnection, procEvent, server, socketsEvent, osSocket } from '../../events.ts'

/** A recording's context, as the presenter builds it: the events in a store, their tracks, connections numbered in order of appearance. */
function contextOf(events: SockscopeEvent[]): CaptionContext {
  const store = new EventStore()
  const model = new TraceModel(store)
  model.ingest(store.append(events))
  const index = new Map(model.connections().map((c, i) => [c.conn, i + 1]))
  return modelCaptionContext(model, index)
}

const listen = (model: string, app = 'echo', pid = 100) => ev('listen', 0, server(pid), { host: '127.0.0.1', port: 50007, model, app })
const say = (e: SockscopeEvent, ctx: CaptionContext) => captionOf(e, ctx)

describe('captions: one sentence per event kind', () => {
  it('iterative: a client queued behind the one being served, and its turn', () => {
    const s = server(100)
    const events = [
      listen('iterative'),
      ev('connect', 10, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 30 }),
      ev('accept', 20, s, { conn: '1>50007', remote: '', waitedUs: 5 }),
      ev('block', 30, s, { conn: '1>50007', on: 'sleep' }),
      ev('connect', 40, client(), { conn: '2>50007', local: '', remote: '', handshakeUs: 30 }),
      ev('queued', 45, s, { conn: '2>50007', depth: 1 }),
      ev('close', 2_000_000, s, { conn: '1>50007', by: 'local' }),
      ev('accept', 2_000_100, s, { conn: '2>50007', remote: '', waitedUs: 2_000_055 }),
    ]
    const ctx = contextOf(events)
    expect(say(events[0]!, ctx)).toBe('The iterative server listens on 127.0.0.1:50007 (echo): it serves one client at a time')
    expect(say(events[1]!, ctx)).toBe('Client #1 connects')
    expect(say(events[3]!, ctx)).toBe('The server sleeps while it serves #1: nobody else is served meanwhile')
    expect(say(events[5]!, ctx)).toBe('Client #2 connects, and waits in the accept queue: the server is still busy with #1')
    expect(captionRule(events[5]!, ctx)!.priority).toBe(PRIORITY.step)
    expect(say(events[6]!, ctx)).toBe('The server closes #1; back to accept() for the next in line')
    expect(say(events[7]!, ctx)).toBe('The server accepts #2, after 2.00 s in the accept queue: its turn has come')
  })

  it('fork: fork, exit as a zombie until the next accept, the reap (modelled)', () => {
    const events = [listen('fork', 'echo-time'), ...forkConnection('1>50007', 100, 12866, 1e6), ev('reap', 3e6, server(100), { childPid: 12866, conn: '1>50007', policy: 'on-accept', trigger: 'accept', zombieUs: 1.7e6, modelled: true })]
    const ctx = contextOf(events)
    const find = (kind: string, role = 'server') => events.find((e) => e.kind === kind && e.src.role === role)!
    expect(say(find('fork'), ctx)).toBe('The server forks child 12866 to serve #1, and goes straight back to accept()')
    expect(say(find('exit'), ctx)).toBe("Child 12866 has exited; it stays a zombie until the server's next accept reaps it")
    expect(captionRule(find('exit'), ctx)!.priority).toBe(PRIORITY.key)
    // The kernel's Z for that child confirms the exit: the exit's sentence leads, even when the sampler saw it first.
    const osZombie = captionRule(procEvent(2, 'changed', 12866, 100, 'Z'), ctx)!
    expect(osZombie.text).toMatch(/^the OS lists pid 12866 as a zombie/)
    expect(osZombie.priority).toBeLessThan(PRIORITY.key)
    expect(say(find('reap'), ctx)).toBe("The server's next accept reaps child 12866, a zombie for 1.70 s (modelled: Node reaps at once)")
    // The child's own events name it.
    expect(say(find('recv'), ctx)).toBe('Child 12866 reads 5 bytes from #1: "Hello"')
    expect(say(events.find((e) => e.kind === 'recv' && e.src.role === 'client')!, ctx)).toBe('Client #1 gets the reply, 39 bytes: "Echo=>Hello at …"')
    expect(say(find('send', 'client'), ctx)).toBe('Client #1 sends 5 bytes: "Hello"')
    expect(say(find('block'), ctx)).toBe('Child 12866 sleeps while it serves #1')
    expect(say(events.find((e) => e.kind === 'close' && e.src.role === 'server')!, ctx)).toBe('#1 has closed: child 12866 reads EOF, and closes its end')
    expect(say(find('close', 'client'), ctx)).toBe('Client #1 is done, and closes')
  })

  it('fork: the other reap policies, and a child killed by a signal', () => {
    const s = server(100)
    const never = [listen('fork'), ev('fork', 10, s, { conn: '1>50007', childPid: 7 }), ev('exit', 20, s, { conn: '1>50007', childPid: 7, code: null, signal: 'SIGKILL' }), ev('reap', 30, s, { childPid: 7, policy: 'never', trigger: 'server-exit', zombieUs: 10, modelled: true })]
    expect(say(never[2]!, contextOf(never))).toBe('Child 7 was killed by SIGKILL; it stays a zombie: this server never reaps its children')
    expect(say(never[3]!, contextOf(never))).toBe('The server exits: init adopts child 7 and reaps it, a zombie for 10 µs (modelled: Node reaps at once)')
    const now = [listen('fork'), ev('fork', 10, s, { conn: '1>50007', childPid: 8 }), ev('exit', 20, s, { conn: '1>50007', childPid: 8, code: 0, signal: null }), ev('reap', 20, s, { childPid: 8, policy: 'immediate', trigger: 'exit', zombieUs: 0, modelled: false })]
    expect(say(now[2]!, contextOf(now))).toBe('Child 8 has exited; reaped at once (SIGCHLD ignored): no zombie')
    expect(say(now[3]!, contextOf(now))).toBe('Child 8 is reaped as it exits: no zombie')
    // Not yet reaped, policy unknown (a live run, before its reap).
    const open = [listen('fork'), ev('fork', 10, s, { conn: '1>50007', childPid: 9 }), ev('exit', 20, s, { conn: '1>50007', childPid: 9, code: 3, signal: null })]
    expect(say(open[2]!, contextOf(open))).toBe('Child 9 has exited with code 3; it is a zombie until its parent reaps it')
    expect(say(ev('fork', 10, s, { conn: '1>50007', childPid: 9, spare: { startedAt: 0, pool: 2 } }), contextOf(open))).toBe('The server hands #1 to child 9, forked ahead of time')
  })

  it('thread: a thread per client, a lock and shared state (the bank)', () => {
    const t3 = server(100, 3)
    const events = [
      listen('thread', 'bank'),
      ev('connect', 5, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 1 }),
      ev('thread-start', 10, server(100), { conn: '1>50007', threadId: 3 }),
      ev('lock-wait', 20, t3, { conn: '1>50007', lock: 'balance' }),
      ev('lock-acquire', 3020, t3, { conn: '1>50007', lock: 'balance', waitedUs: 3000 }),
      ev('state', 3030, t3, { conn: '1>50007', access: 'write', key: 'jack', value: 5, memory: 'shared' }),
      ev('state', 3031, t3, { conn: '1>50007', access: 'read', key: 'jack', value: 5, memory: 'shared' }),
      ev('lock-release', 3040, t3, { conn: '1>50007', lock: 'balance' }),
      ev('block', 3050, t3, { conn: '1>50007', on: 'recv' }),
      ev('thread-end', 4000, server(100), { conn: '1>50007', threadId: 3 }),
    ]
    const ctx = contextOf(events)
    expect(say(events[2]!, ctx)).toBe('Thread 3 starts to serve #1; the main thread goes back to accept()')
    expect(say(events[3]!, ctx)).toBe('Thread 3 (#1) waits for the lock balance: another holds it')
    expect(say(events[4]!, ctx)).toBe('Thread 3 (#1) gets the lock balance after waiting 3.0 ms')
    expect(say(events[5]!, ctx)).toBe('#1 writes jack = 5, in memory every thread shares')
    expect(say(events[6]!, ctx)).toBe('#1 reads jack = 5')
    expect(say(events[7]!, ctx)).toBe('Thread 3 (#1) releases the lock balance')
    expect(say(events[8]!, ctx)).toBe('Thread 3 waits for #1 to send')
    expect(say(events[9]!, ctx)).toBe('Thread 3 ends: #1 is served')
    expect(say(ev('state', 1, server(300), { conn: '1>50007', access: 'write', key: 'jack', value: 1, memory: 'copy' }), ctx)).toBe("#1 writes jack = 1 in its child's own copy: no other client sees it")
  })

  it('socketserver: the handler class phases; at its cap', () => {
    const events = [listen('socketserver'), ev('connect', 5, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 1 }), ev('phase', 10, server(100, 2), { conn: '1>50007', phase: 'handle', edge: 'begin' }), ev('phase', 20, server(100, 2), { conn: '1>50007', phase: 'finish', edge: 'end' })]
    const ctx = contextOf(events)
    expect(say(events[2]!, ctx)).toBe("#1's handler: handle() begins")
    expect(say(events[3]!, ctx)).toBe("#1's handler: finish() is done")
    expect(say(ev('block', 30, server(100), { on: 'accept', cause: 'at-cap', limit: 4 }), ctx)).toBe('The server holds off accept(): it serves 4 connections at once, its cap; new clients wait in the queue')
    expect(say(ev('block', 30, server(100), { on: 'accept' }), ctx)).toBe('The server waits in accept() for the next client')
  })

  it('select: the wake-up and its ready set; a blocking call stalls every client', () => {
    const s = server(100)
    const events = [
      listen('select'),
      ev('connect', 5, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 1 }),
      ev('connect', 6, client(), { conn: '2>50007', local: '', remote: '', handshakeUs: 1 }),
      ev('block', 7, s, { on: 'select', sockets: 3 }),
      ev('wakeup', 10, s, { readable: ['1>50007', '2>50007'], writable: [], waitedUs: 3 }),
      ev('wakeup', 20, s, { readable: ['listen:50007'], writable: ['1>50007'], waitedUs: 3 }),
      ev('wakeup', 30, s, { readable: [], writable: [], waitedUs: 1000 }),
      ev('block', 40, s, { conn: '2>50007', on: 'sleep', waiter: 'thread' }),
      ev('block', 50, s, { conn: '1>50007', on: 'recv', waiter: 'task' }),
    ]
    const ctx = contextOf(events)
    expect(say(events[3]!, ctx)).toBe('The loop waits in select() on 3 sockets')
    expect(captionRule(events[3]!, ctx)!.priority).toBe(PRIORITY.idle)
    expect(say(events[4]!, ctx)).toBe('The loop wakes up: #1 and #2 are readable')
    expect(say(events[5]!, ctx)).toBe('The loop wakes up: a new connection on :50007 and #1 is writable')
    expect(say(events[6]!, ctx)).toBe('The loop wakes up after 1.0 ms: a timer is due')
    expect(say(events[7]!, ctx)).toBe("The loop's one thread is stuck in sleep for #2: every other client waits")
    expect(captionRule(events[7]!, ctx)!.priority).toBe(PRIORITY.key)
    expect(say(events[8]!, ctx)).toBe('#1 waits for bytes; the loop serves the others')
  })

  it('asyncio: a coroutine per client, awaits', () => {
    const s = server(100)
    const events = [listen('asyncio'), ev('connect', 5, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 1 }), ev('task-start', 10, s, { conn: '1>50007', task: 'Task-2' }), ev('block', 20, s, { conn: '1>50007', on: 'sleep', waiter: 'task' }), ev('unblock', 200_020, s, { conn: '1>50007', on: 'sleep', waiter: 'task', blockedUs: 200_000 }), ev('task-end', 300_000, s, { conn: '1>50007', task: 'Task-2' })]
    const ctx = contextOf(events)
    expect(say(events[0]!, ctx)).toBe('The asyncio server listens on 127.0.0.1:50007 (echo): a coroutine per client, on one event loop')
    expect(say(events[2]!, ctx)).toBe('A coroutine starts for #1 (Task-2) on the loop')
    expect(say(events[3]!, ctx)).toBe("#1's coroutine awaits sleep; the loop serves the others")
    expect(say(events[4]!, ctx)).toBe('The server goes on after 200 ms in sleep (#1)')
    expect(say(events[5]!, ctx)).toBe("#1's coroutine returns (Task-2)")
  })

  it('reactor: Protocol callbacks', () => {
    const events = [listen('reactor', 'length-prefixed'), ev('connect', 5, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 1 }), ev('phase', 10, server(100), { conn: '1>50007', phase: 'dataReceived', edge: 'begin' })]
    const ctx = contextOf(events)
    expect(say(events[0]!, ctx)).toBe('The reactor server listens on 127.0.0.1:50007 (length-prefixed): Protocol callbacks on one reactor loop')
    expect(say(events[2]!, ctx)).toBe('The reactor calls dataReceived() for #1')
  })

  it('traced programs and the OS: the kernel\'s zombies, its accept queue', () => {
    const events = [listen('traced', 'python3 fork-server.py', 4242), ev('accept', 10, server(4242), { conn: '1>50007', remote: '', waitedUs: 0 })]
    const ctx = contextOf(events)
    expect(say(events[0]!, ctx)).toBe('The traced program listens on 127.0.0.1:50007 (python3 fork-server.py): its system calls, as strace sees them')
    expect(say(events[1]!, ctx)).toBe('The program accepts #1')
    expect(say(procEvent(1, 'appeared', 4300, 4242, 'S'), ctx)).toBe('The OS lists a new process, pid 4300: python3 fork_server_noreap.py')
    expect(say(procEvent(2, 'changed', 4300, 4242, 'Z'), ctx)).toBe('The OS lists pid 4300 as a zombie (state Z): it has exited, and its parent has not reaped it')
    expect(say(procEvent(3, 'gone', 4300, 4242, 'Z'), ctx)).toBe("Pid 4300 is reaped: the zombie leaves the OS's process table")
    expect(say(procEvent(3, 'gone', 4301, 4242, 'S'), ctx)).toBe("Pid 4301 is gone from the OS's process table")
    expect(captionRule(procEvent(4, 'usage', 4300, 4242, 'S'), ctx)).toBeNull()
    expect(say(socketsEvent(5, 4242, [osSocket('127.0.0.1:50007', '0.0.0.0:0', 'LISTEN', { acceptQueue: 3 })]), ctx)).toBe("The kernel holds 3 connections in pid 4242's accept queue")
    expect(captionRule(socketsEvent(5, 4242, [osSocket('127.0.0.1:50007', '0.0.0.0:0', 'LISTEN', { acceptQueue: 0 })]), ctx)).toBeNull()
  })

  it('errors, resets, a send to a client that does not read', () => {
    const s = server(100, 2)
    const events = [listen('thread'), ev('connect', 5, client(), { conn: '1>50007', local: '', remote: '', handshakeUs: 1 })]
    const ctx = contextOf(events)
    expect(say(ev('error', 10, s, { conn: '1>50007', code: 'ECONNRESET', message: 'read ECONNRESET' }), ctx)).toBe('Error on #1: ECONNRESET, read ECONNRESET')
    expect(say(ev('close', 10, s, { conn: '1>50007', by: 'error', reset: 'received' }), ctx)).toBe('#1 is reset by the peer (RST): thread 2 gets ECONNRESET')
    expect(say(ev('close', 10, client(), { conn: '1>50007', by: 'local', reset: 'sent' }), ctx)).toBe("Client #1 resets #1 (RST, not FIN): the peer's next read or write fails")
    expect(say(ev('block', 10, s, { conn: '1>50007', on: 'send', cause: 'peer-not-reading' }), ctx)).toBe('Thread 2 is blocked sending to #1: the client is not reading')
  })

  it('bursts read as one sentence', () => {
    const ctx = contextOf([listen('fork'), ev('fork', 1, server(100), { conn: '1>50007', childPid: 7 })])
    const last = ev('exit', 3000, server(100), { conn: '1>50007', childPid: 7, code: 0, signal: null })
    expect(burstText('connect', 8, 3000, '', last, ctx)).toBe('8 clients connect within 3.0 ms')
    expect(burstText('fork', 8, 2500, '', last, ctx)).toBe('The server forks 8 children within 2.5 ms, one per client'.replace(/^T/, 't'))
    expect(burstText('exit', 5, 1200, '', last, ctx)).toBe('5 children exit within 1.2 ms; each is a zombie until its parent reaps it')
    expect(burstText('connect', 1, 0, 'client #1 connects', last, ctx)).toBe('client #1 connects')
  })
})
