import type { EventSource, OsSocket, ProcEvent, SockscopeEvent, SocketsEvent } from '../../src/servers/events.ts'
import type { Item } from '../../src/renderer/model/derive.ts'

/** Events as the lab sends them, for the renderer's pure functions. */
export const server = (pid = 100, tid = 0, run = 's1'): EventSource => ({ role: 'server', run, pid, tid })
export const client = (pid = 200, run = 'c2'): EventSource => ({ role: 'client', run, pid, tid: 0 })

export function ev(kind: SockscopeEvent['kind'], t: number, src: EventSource, fields: Record<string, unknown> = {}): SockscopeEvent {
  return { kind, t, src, ...fields } as unknown as SockscopeEvent
}

export function items(events: SockscopeEvent[]): Item[] {
  return events.map((e, seq) => ({ seq, e })).sort((a, b) => a.e.t - b.e.t)
}

/**
 * One connection to a fork server, as seed 003 serves it: the client connects and sends,
 * the parent accepts and forks, the child sleeps `delay`, echoes one word, the peer
 * closes, the child exits; the reap comes at the next accept.
 */
export function forkConnection(conn: string, at: number, childPid: number, delay = 5e6): SockscopeEvent[] {
  const s = server(100)
  const c = client(200)
  const ch = server(childPid)
  return [
    ev('connect', at, c, { conn, local: '127.0.0.1:1', remote: '127.0.0.1:2' }),
    ev('send', at + 50, c, { conn, bytes: 5, preview: 'Hello' }),
    ev('accept', at + 300, s, { conn, remote: '127.0.0.1:1', waitedUs: 0 }),
    ev('fork', at + 2000, s, { conn, childPid }),
    ev('block', at + 150_000, ch, { conn, on: 'sleep' }),
    ev('unblock', at + 150_000 + delay, ch, { conn, on: 'sleep', blockedUs: delay }),
    ev('block', at + 150_100 + delay, ch, { conn, on: 'recv' }),
    ev('unblock', at + 150_200 + delay, ch, { conn, on: 'recv', blockedUs: 100 }),
    ev('recv', at + 150_250 + delay, ch, { conn, bytes: 5, preview: 'Hello' }),
    ev('send', at + 150_400 + delay, ch, { conn, bytes: 39, preview: 'Echo=>Hello at …' }),
    ev('recv', at + 151_000 + delay, c, { conn, bytes: 39, preview: 'Echo=>Hello at …' }),
    ev('close', at + 151_500 + delay, c, { conn, by: 'local' }),
    ev('block', at + 150_500 + delay, ch, { conn, on: 'recv' }),
    ev('unblock', at + 151_600 + delay, ch, { conn, on: 'recv', blockedUs: 1100 }),
    ev('close', at + 151_700 + delay, ch, { conn, by: 'peer' }),
    ev('exit', at + 160_000 + delay, s, { conn, childPid, code: 0, signal: null }),
  ]
}

/** The OS sampler's view of a process, as the lab sends it (`run`: whose tree it is in). */
export function procEvent(t: number, change: ProcEvent['change'], pid: number, ppid: number, state: string, over: Partial<ProcEvent> = {}, run = 'o3'): ProcEvent {
  const command = state === 'Z' ? '[python3] <defunct>' : 'python3 fork_server_noreap.py'
  return {
    kind: 'proc', t, src: { role: 'os', run, pid: 1, tid: 0 }, change, pid, ppid, state, threads: 1, command, name: 'python3',
    cpuPercent: 0.5, rssBytes: 9_400_000, startTime: 1_700_000_000_000 + pid, ...over,
  }
}

export function socketsEvent(t: number, pid: number, sockets: OsSocket[] | null, run = 'o3'): SocketsEvent {
  return { kind: 'sockets', t, src: { role: 'os', run, pid: 1, tid: 0 }, pid, sockets }
}

export function osSocket(local: string, remote: string, state: string, over: Partial<OsSocket> = {}): OsSocket {
  return { fd: 3, family: 'tcp', local, remote, state, rxQueue: 0, txQueue: 0, acceptQueue: null, ...over }
}
