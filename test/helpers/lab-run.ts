import { readFileSync } from 'node:fs'
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
