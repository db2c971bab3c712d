import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { connId } from '../../src/servers/connection-id.ts'
import { Lab } from '../../src/servers/lab/lab.ts'
import type { ClientResult } from '../../src/servers/host/protocol.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import type { ClientSpecInput, ServerSpecInput } from '../../src/servers/spec.ts'

export interface Scenario {
  lab: Lab
  events: SockscopeEvent[]
  port: number
  serverPid: number
  /**
   * Run a workload against the server. `spanMs` is what the burst cost its clients: the
   * longest client's time from its connect() to its last reply (client processes' own
   * start-up is not the server's doing, so it is not counted).
   */
  clients(spec?: Partial<ClientSpecInput>): Promise<{ results: ClientResult[]; spanMs: number }>
  /** Wait until an event matching `match` has been merged. */
  waitFor(match: (e: SockscopeEvent) => boolean, timeoutMs?: number): Promise<SockscopeEvent>
  stop(): Promise<void>
}

/** A real lab with one real server on 127.0.0.1, port 0, collecting every merged event. */
export async function startScenario(server: ServerSpecInput): Promise<Scenario> {
  const lab = new Lab()
  const events: SockscopeEvent[] = []
  const waiters = new Set<() => void>()
  lab.onEvents((batch) => {
    events.push(...batch)
    for (const wake of waiters) wake()
  })
  const run = await lab.startServer({ port: 0, ...server })
  const port = run.ports[0]!
  return {
    lab,
    events,
    port,
    serverPid: run.pid,
    async clients(spec = {}) {
      const clientRun = await lab.runClients({ port, ...spec })
      const results = await clientRun.results
      return { results, spanMs: Math.max(...results.map((r) => r.elapsedMs)) }
    },
    waitFor(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match)
          if (!found) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for an event (${events.length} seen)`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    stop: () => lab.stop(),
  }
}

/**
 * `count` one-word clients at once against a fresh `model` server (echo) with `delayS`
 * seconds of delay: what the burst cost, its results and every event. Stops the server.
 */
export async function delayedBurst(model: string, delayS: number, count = 4) {
  const run = await startScenario({ model, app: 'echo', delay: delayS })
  try {
    const { results, spanMs } = await run.clients({ count, words: ['ping'] })
    await run.stop()
    return { results, spanMs, events: run.events, pid: run.serverPid }
  } finally {
    await run.stop()
  }
}

export function ofKind<K extends SockscopeEvent['kind']>(events: readonly SockscopeEvent[], kind: K, role?: 'server' | 'client') {
  return events.filter((e): e is Extract<SockscopeEvent, { kind: K }> => e.kind === kind && (!role || e.src.role === role))
}

/** The first event of `kind` on connection `conn` (on the given side). */
export function firstOn(events: readonly SockscopeEvent[], conn: string, kind: SockscopeEvent['kind'], role?: 'server' | 'client') {
  return events.find((e) => e.kind === kind && 'conn' in e && e.conn === conn && (!role || e.src.role === role))
}

/**
 * True while the process runs. A zombie is dead: it only waits for its parent (or init,
 * once orphaned) to collect its exit status, and on some machines init is slow to.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

export async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return check()
}

/** A stretch of time on the run's clock, [from, to] in µs. */
export type Interval = readonly [from: number, to: number]

/**
 * What a set of intervals cost side by side against one after another: `spanUs` from the
 * first start to the last end, `serialUs` the sum of their lengths (what they would take
 * end to end). `spanUs / serialUs` is at least 1 when no two overlapped, and 1/n when n of
 * them ran side by side throughout.
 */
export function sideBySide(intervals: readonly Interval[]): { spanUs: number; serialUs: number; ratio: number } {
  const spanUs = Math.max(...intervals.map((i) => i[1])) - Math.min(...intervals.map((i) => i[0]))
  const serialUs = intervals.reduce((sum, [from, to]) => sum + (to - from), 0)
  return { spanUs, serialUs, ratio: spanUs / serialUs }
}

/**
 * Each connection's time with the server, from its accept to the server's close: for a
 * forked child or a new thread, their start-up included. A server that serves one at a
 * time accepts the next only after the last close, so these never overlap there.
 */
export function servedIntervals(events: readonly SockscopeEvent[]): Interval[] {
  return ofKind(events, 'accept').map((accept) => {
    const close = firstOn(events, accept.conn, 'close', 'server')
    if (!close) throw new Error(`connection ${accept.conn} was accepted and never closed`)
    return [accept.t, close.t] as const
  })
}

/** Each sleep of the server's handlers (--delay), from its block to its unblock. */
export function sleepIntervals(events: readonly SockscopeEvent[]): Interval[] {
  const wakes = ofKind(events, 'unblock', 'server').filter((u) => u.on === 'sleep')
  return ofKind(events, 'block', 'server')
    .filter((b) => b.on === 'sleep')
    .map((block) => {
      const wake = wakes.find((u) => u.conn === block.conn && u.t >= block.t)
      if (!wake) throw new Error(`a sleep on ${block.conn} never ended`)
      return [block.t, wake.t] as const
    })
}

/** Bytes the server has read on `conn` so far (its recv events). */
export function readByServer(events: readonly SockscopeEvent[], conn: string): number {
  return ofKind(events, 'recv', 'server').reduce((n, r) => (r.conn === conn ? n + r.bytes : n), 0)
}

/**
 * A client driven from the test on a real socket: it sends `pieces` one at a time, each
 * only once the server's recv events say it has read everything before it. So every piece
 * is a read of its own on the server, however slowly the server (a forked child starting,
 * a busy machine) gets to it: TCP would otherwise coalesce pieces that wait unread. Then
 * it reads until the server closes (or `timeoutMs` passes).
 */
export async function sendInPieces(
  scenario: Scenario,
  pieces: readonly (string | Uint8Array)[],
  timeoutMs = 10_000,
): Promise<{ conn: string; reply: string; eof: boolean }> {
  const socket = net.connect({ host: '127.0.0.1', port: scenario.port })
  try {
    await once(socket, 'connect')
    socket.setNoDelay(true)
    const conn = connId(socket.localPort!, scenario.port)
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    const ended = new Promise<boolean>((resolve) => {
      socket.once('end', () => resolve(true))
      socket.once('close', () => resolve(false))
      socket.once('error', () => resolve(false))
    })
    let sent = 0
    for (const piece of pieces) {
      socket.write(piece)
      sent += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength
      const upTo = sent
      await scenario.waitFor((e) => e.kind === 'recv' && e.src.role === 'server' && e.conn === conn && readByServer(scenario.events, conn) >= upTo, timeoutMs)
    }
    let timer: NodeJS.Timeout | undefined
    const eof = await Promise.race([ended, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))])
    clearTimeout(timer)
    return { conn, reply: Buffer.concat(chunks).toString('utf8'), eof }
  } finally {
    socket.destroySoon()
  }
}
