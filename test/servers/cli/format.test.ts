import { describe, expect, it } from 'vitest'
import { formatEvent, formatResult, isHeadline } from '../../../src/servers/cli/format.ts'
import type { EventBody, EventSource, OsSocket, SockscopeEvent } from '../../../src/servers/events.ts'

const server: EventSource = { role: 'server', run: 's1', pid: 9832, tid: 0 }
const client: EventSource = { role: 'client', run: 'c2', pid: 9901, tid: 0 }
/** The sampler runs in the lab's process: its own pid is not what the line is about. */
const os: EventSource = { role: 'os', run: 's1', pid: 4242, tid: 0 }

const at = (t: number, src: EventSource, body: EventBody): SockscopeEvent => ({ ...body, t, src }) as SockscopeEvent
const line = (body: EventBody, src: EventSource = server, t = 2_058_000) => formatEvent(at(t, src, body))

const proc = (over: Partial<Extract<EventBody, { kind: 'proc' }>>): EventBody => ({
  kind: 'proc',
  change: 'appeared',
  pid: 1234,
  ppid: 1233,
  state: 'S',
  threads: 3,
  command: 'python3 server.py',
  name: 'python3',
  threadIds: [1234, 1235, 1236],
  cpuMs: 20,
  cpuPercent: 1.5,
  rssBytes: 9_000_000,
  startTime: 1_700_000_000_000,
  ...over,
})

const sock = (over: Partial<OsSocket>): OsSocket => ({
  fd: 3,
  family: 'tcp',
  local: '127.0.0.1:50007',
  remote: '*:*',
  state: 'LISTEN',
  rxQueue: 0,
  txQueue: 0,
  acceptQueue: 0,
  ...over,
})

describe('formatEvent', () => {
  it('server and client events: time, side, pid, thread, kind, connection, detail', () => {
    expect(line({ kind: 'listen', host: '127.0.0.1', port: 50007, model: 'fork', app: 'echo-time' }, server, 52_000)).toBe(
      '   0.052s  S   pid 9832   listen        127.0.0.1:50007 model=fork app=echo-time',
    )
    expect(line({ kind: 'queued', conn: '55522>50007', depth: 2 })).toBe('   2.058s  S   pid 9832   queued        [55522>50007] queue depth 2')
    expect(line({ kind: 'accept', conn: '55522>50007', remote: '127.0.0.1:55522', waitedUs: 2_000_400 })).toBe(
      '   2.058s  S   pid 9832   accept        [55522>50007] from 127.0.0.1:55522, waited 2.000s in the accept queue',
    )
    expect(line({ kind: 'recv', conn: '55522>50007', bytes: 5, preview: 'Hello' }, { ...server, tid: 3 })).toBe(
      "   2.058s  S   pid 9832   t3 recv          [55522>50007] 5 B 'Hello'",
    )
    expect(line({ kind: 'connect', conn: '55522>50007', local: '127.0.0.1:55522', remote: '127.0.0.1:50007', handshakeUs: 120 }, client)).toBe(
      '   2.058s  C   pid 9901   connect       [55522>50007] 127.0.0.1:55522 → 127.0.0.1:50007',
    )
    expect(line({ kind: 'close', conn: '55522>50007', by: 'peer' })).toBe('   2.058s  S   pid 9832   close         [55522>50007] by peer')
  })

  it('a connection reset while it waited in the accept queue has no address: never undefined:undefined', () => {
    expect(line({ kind: 'queued', conn: '?1>50007', depth: 3 })).toBe('   2.058s  S   pid 9832   queued        [?1>50007] queue depth 3')
    const accept = line({ kind: 'accept', conn: '?1>50007', remote: 'undefined:undefined', waitedUs: 10 })
    expect(accept).toBe('   2.058s  S   pid 9832   accept        [?1>50007] from a peer already gone (no address: it reset the connection while queued)')
    expect(line({ kind: 'connect', conn: '?1>50007', local: ':', remote: '127.0.0.1:50007', handshakeUs: 120 }, client)).toBe(
      '   2.058s  C   pid 9901   connect       [?1>50007] an unknown address → 127.0.0.1:50007',
    )
  })

  it('fork, exit and reap', () => {
    expect(line({ kind: 'fork', conn: '55522>50007', childPid: 9270 })).toBe('   2.058s  S   pid 9832   fork          [55522>50007] child pid 9270')
    expect(line({ kind: 'exit', conn: '55522>50007', childPid: 9270, code: 0, signal: null })).toBe(
      '   2.058s  S   pid 9832   exit          [55522>50007] child pid 9270 code 0',
    )
    expect(line({ kind: 'exit', childPid: 9270, code: null, signal: 'SIGKILL' })).toBe('   2.058s  S   pid 9832   exit          child pid 9270 killed by SIGKILL')
    expect(line({ kind: 'exit', childPid: 9270, code: null, signal: null })).toBe('   2.058s  S   pid 9832   exit          child pid 9270')
    expect(line({ kind: 'reap', conn: '55522>50007', childPid: 9270, policy: 'on-accept', trigger: 'accept', zombieUs: 2_422_000, modelled: true })).toBe(
      '   2.058s  S   pid 9832   reap          [55522>50007] child pid 9270 policy=on-accept after accept, zombie for 2.422s (modelled: Node reaped at exit)',
    )
  })

  it('threads, tasks, loop wake-ups, blocking, locks and handler phases', () => {
    const conn = '55522>50007'
    expect(line({ kind: 'thread-start', conn, threadId: 4 })).toBe('   2.058s  S   pid 9832   thread-start  [55522>50007] thread 4')
    expect(line({ kind: 'task-start', conn, task: 'Task-3' })).toBe('   2.058s  S   pid 9832   task-start    [55522>50007] Task-3')
    expect(line({ kind: 'wakeup', readable: ['listen:50007', conn], writable: [], waitedUs: 1500 })).toBe(
      '   2.058s  S   pid 9832   wakeup        readable listen:50007 55522>50007 after 0.002s',
    )
    expect(line({ kind: 'wakeup', readable: [], writable: [conn], waitedUs: 0 })).toBe('   2.058s  S   pid 9832   wakeup        writable 55522>50007 after 0.000s')
    expect(line({ kind: 'wakeup', readable: [], writable: [], waitedUs: 0 })).toBe('   2.058s  S   pid 9832   wakeup        nothing ready after 0.000s')
    expect(line({ kind: 'block', conn, on: 'recv' })).toBe('   2.058s  S   pid 9832   block         [55522>50007] on recv')
    expect(line({ kind: 'unblock', on: 'accept', blockedUs: 1_250_000 })).toBe('   2.058s  S   pid 9832   unblock       on accept after 1.250s')
    expect(line({ kind: 'lock-wait', conn, lock: 'balance' })).toBe('   2.058s  S   pid 9832   lock-wait     [55522>50007] balance')
    expect(line({ kind: 'lock-acquire', conn, lock: 'balance', waitedUs: 3000 })).toBe(
      '   2.058s  S   pid 9832   lock-acquire  [55522>50007] balance after waiting 0.003s',
    )
    expect(line({ kind: 'lock-acquire', conn, lock: 'balance', waitedUs: 0 })).toBe('   2.058s  S   pid 9832   lock-acquire  [55522>50007] balance')
    expect(line({ kind: 'phase', conn, phase: 'dataReceived', edge: 'begin' })).toBe('   2.058s  S   pid 9832   phase         [55522>50007] dataReceived begin')
    expect(line({ kind: 'error', conn, code: 'CONNECTION_RESET', message: 'read ECONNRESET' })).toBe(
      '   2.058s  S   pid 9832   error         [55522>50007] CONNECTION_RESET: read ECONNRESET',
    )
  })

  it('state: which key, what value, whose memory', () => {
    const conn = '55522>50007'
    expect(line({ kind: 'state', conn, access: 'read', key: 'jack', value: 100, memory: 'shared' }, { ...server, tid: 2 })).toBe(
      '   2.058s  S   pid 9832   t2 state         [55522>50007] read  jack = 100 (shared by all threads)',
    )
    expect(line({ kind: 'state', conn, access: 'write', key: 'jack', value: 110, memory: 'copy' }, { ...server, pid: 9270 })).toBe(
      "   2.058s  S   pid 9270   state         [55522>50007] write jack = 110 (this child's own copy)",
    )
    expect(line({ kind: 'state', access: 'write', key: 'jack', value: -5, memory: 'process' })).toBe(
      '   2.058s  S   pid 9832   state         write jack = -5 (process memory)',
    )
  })

  it('os proc events: labelled os, the pid the OS reported on, what changed, state, threads, parent, command', () => {
    expect(line(proc({}), os, 55_000)).toBe('   0.055s  os  pid 1234   appeared      S  3 thr  ppid 1233  python3 server.py')
    expect(line(proc({ change: 'changed', state: 'Z', threads: 1, command: '[python3] <defunct>' }), os)).toBe(
      '   2.058s  os  pid 1234   changed       Z  1 thr  ppid 1233  [python3] <defunct>',
    )
    expect(line(proc({ change: 'gone', state: 'Z', command: '[python3] <defunct>' }), os)).toBe('   2.058s  os  pid 1234   gone          [python3] <defunct>')
    expect(line(proc({ pid: 14367, ppid: 14080, threads: 7, command: '/opt/node/bin/node --disable-warning=ExperimentalWarning /home/me/sockscope/src/servers/models/fork-child.ts' }), os)).toBe(
      '   2.058s  os  pid 14367  appeared      S  7 thr  ppid 14080  node --disable-warning=ExperimentalWarning fork-child.ts',
    )
    // macOS's ps cannot tell threads; Windows cannot tell the state.
    expect(line(proc({ threads: null, state: '?', command: '' }), os)).toBe('   2.058s  os  pid 1234   appeared      ?  ppid 1233  [python3]')
  })

  it('os sockets events: how many, and each listening socket with its accept queue', () => {
    const sockets = (list: OsSocket[] | null) => line({ kind: 'sockets', pid: 1234, sockets: list }, os)
    expect(sockets([sock({ acceptQueue: 2 }), sock({ fd: 4, state: 'ESTABLISHED', local: '127.0.0.1:50007', remote: '127.0.0.1:55522', acceptQueue: null })])).toBe(
      '   2.058s  os  pid 1234   sockets       2 TCP sockets, listening 127.0.0.1:50007 (accept queue 2)',
    )
    expect(sockets([sock({}), sock({ fd: 5, local: '[::1]:50008', family: 'tcp6', acceptQueue: null })])).toBe(
      '   2.058s  os  pid 1234   sockets       2 TCP sockets, listening 127.0.0.1:50007 (accept queue 0), [::1]:50008',
    )
    expect(sockets([sock({ state: 'TIME_WAIT', acceptQueue: null })])).toBe('   2.058s  os  pid 1234   sockets       1 TCP socket')
    expect(sockets([])).toBe('   2.058s  os  pid 1234   sockets       0 TCP sockets')
    expect(sockets(null)).toBe("   2.058s  os  pid 1234   sockets       cannot be read (another user's process?)")
  })

  it('no line of any kind says undefined or null, or ends in spaces', () => {
    const bodies: EventBody[] = [
      { kind: 'listen', host: '127.0.0.1', port: 1, model: 'select', app: 'echo' },
      { kind: 'queued', conn: '?2>1', depth: 1 },
      { kind: 'accept', conn: '?2>1', remote: 'undefined:undefined', waitedUs: 0 },
      { kind: 'exit', childPid: 7, code: null, signal: null },
      { kind: 'task-end', conn: '1>2', task: 'Task-1' },
      { kind: 'thread-end', conn: '1>2', threadId: 1 },
      { kind: 'lock-release', lock: 'balance' },
      { kind: 'phase', conn: '1>2', phase: 'handle', edge: 'end' },
      proc({ change: 'changed', threads: null, threadIds: null, cpuMs: null, cpuPercent: null, rssBytes: null, startTime: null, name: undefined }),
      { kind: 'sockets', pid: 7, sockets: [sock({ fd: null, rxQueue: null, txQueue: null, acceptQueue: null })] },
    ]
    for (const body of bodies)
      for (const src of [server, client, os, { ...server, role: 'lab' as const }]) {
        const text = line(body, src)
        expect(text).not.toMatch(/undefined|null/)
        expect(text).toBe(text.trimEnd())
      }
  })

  it('labels the lab itself', () => {
    expect(line({ kind: 'error', code: 'HOST_CRASHED', message: 'server host exited' }, { role: 'lab', run: 'lab', pid: 4242, tid: 0 })).toBe(
      '   2.058s  lab pid 4242   error         HOST_CRASHED: server host exited',
    )
  })
})

describe('isHeadline', () => {
  it('leaves out block and unblock, keeps the OS view', () => {
    expect(isHeadline(at(0, server, { kind: 'block', on: 'recv' }))).toBe(false)
    expect(isHeadline(at(0, server, { kind: 'unblock', on: 'recv', blockedUs: 1 }))).toBe(false)
    expect(isHeadline(at(0, os, proc({})))).toBe(true)
    expect(isHeadline(at(0, os, { kind: 'sockets', pid: 1, sockets: [] }))).toBe(true)
    // CPU and memory updates are for live tables, not the scrolling log.
    expect(isHeadline(at(0, os, proc({ change: 'usage', cpuPercent: 50, rssBytes: 1 })))).toBe(false)
  })

  it('prints a usage update with CPU and memory', () => {
    expect(formatEvent(at(1_000_000, os, proc({ change: 'usage', cpuPercent: 97.5, rssBytes: 52 * 1048576, command: '/usr/bin/python3 /srv/busy.py' })))).toBe(
      '   1.000s  os  pid 1234   usage         97.5% CPU  52 MB  python3 busy.py',
    )
  })
})

describe('formatResult', () => {
  it('replies, an error with what came before it, and a client that never connected', () => {
    expect(formatResult({ client: 1, conn: '55518>50007', replies: ['Echo=>Hello', 'Echo=>world'], elapsedMs: 1111 })).toBe(
      'client   1  55518>50007    1.111 s  "Echo=>Hello"  "Echo=>world"',
    )
    expect(formatResult({ client: 2, conn: '55522>50007', replies: [], elapsedMs: 305 })).toBe('client   2  55522>50007    0.305 s')
    expect(formatResult({ client: 12, replies: [], elapsedMs: 2, error: { code: 'CONNECTION_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' } })).toBe(
      'client  12  -              0.002 s  ERROR CONNECTION_REFUSED: connect ECONNREFUSED 127.0.0.1:1',
    )
    expect(formatResult({ client: 3, conn: '1>2', replies: ['Echo=>Hello'], elapsedMs: 60_000, error: { code: 'TIMEOUT', message: 'no reply in 60 s' } })).toBe(
      'client   3  1>2           60.000 s  ERROR TIMEOUT: no reply in 60 s  (got "Echo=>Hello")',
    )
  })
})
