import type { SockscopeEvent } from '../events.ts'
import type { ClientResult } from '../host/protocol.ts'
import type { ClientSpecInput, ServerSpecInput } from '../spec.ts'
import type { Lesson, LessonRuns, LessonView } from './lesson.ts'

/** What running a scenario needs of a lab: the CLI's Lab has it, and so can the renderer's client of one. */
export interface LessonLab {
  startServer(spec: ServerSpecInput): Promise<{ id: string; ports: number[] }>
  runClients(spec: ClientSpecInput): Promise<{ id: string; results: Promise<ClientResult[]> }>
  /** Stop a running workload (its clients leave at once); resolves once it has. */
  stopClients(id: string): Promise<void>
  onEvents(listener: (batch: readonly SockscopeEvent[]) => void): () => void
}

export interface ScenarioRun {
  runs: LessonRuns
  /** Each workload's client results, by its scenario name. */
  results: Record<string, ClientResult[]>
  /** What did not go as the scenario says (a condition that never held), in words. */
  problems: string[]
}

/** How long a workload waits for its `until` condition before the lesson goes on without it. */
export const UNTIL_TIMEOUT_MS = 30_000
/** The longest a `leaveWhen` is waited for; past it the workload ends by its own hold. */
export const LEAVE_TIMEOUT_MS = 120_000
/** The longest the end of a run waits for the servers to report every connection's close. */
export const SETTLE_TIMEOUT_MS = 10_000

/**
 * Every connection the scenario's clients made has its close reported by the server too.
 * A server that was stuck (a blocked send) reports late, on a busy machine up to seconds
 * after its clients are done; stopping it before its reports are in would lose them.
 */
export function serversSettled({ events, runs }: LessonView): boolean {
  const clientRuns = new Set(Object.values(runs.clients))
  const serverRuns = new Set(Object.values(runs.servers))
  const connected = new Set<string>()
  const closed = new Set<string>()
  for (const e of events) {
    if (e.kind === 'connect' && clientRuns.has(e.src.run)) connected.add(e.conn)
    else if (e.kind === 'close' && e.src.role === 'server' && serverRuns.has(e.src.run)) closed.add(e.conn)
  }
  for (const conn of connected) if (!closed.has(conn)) return false
  return true
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Run a lesson's scenario on a lab: its servers together, then its workloads, each when
 * its conditions hold; resolves once every workload has finished and the servers have
 * reported the end of every connection (serversSettled, bounded). The caller
 * collects the events (subscribe before calling, so nothing is missed) and stops the lab.
 */
export interface ScenarioOptions {
  /**
   * Told each time a server or a workload got its run id (the mapping so far): a live
   * lesson's page ticks its checkpoints from the first event, and a trace records it.
   */
  onRuns?: (runs: LessonRuns) => void
}

export async function runScenario(lesson: Lesson, lab: LessonLab, options: ScenarioOptions = {}): Promise<ScenarioRun> {
  const events: SockscopeEvent[] = []
  const waiters = new Set<() => void>()
  const unsubscribe = lab.onEvents((batch) => {
    for (const e of batch) events.push(e)
    for (const w of [...waiters]) w()
  })
  const servers: Record<string, string> = {}
  const clients: Record<string, string> = {}
  const runs: LessonRuns = { servers, clients }
  const results: Record<string, ClientResult[]> = {}
  const problems: string[] = []
  try {
    const names = Object.keys(lesson.scenario.servers)
    const up = await Promise.all(names.map((name) => lab.startServer(lesson.scenario.servers[name]!)))
    const ports: Record<string, number[]> = {}
    names.forEach((name, i) => {
      servers[name] = up[i]!.id
      ports[name] = up[i]!.ports
    })
    options.onRuns?.(runs)
    const finished = new Map<string, PromiseWithResolvers<ClientResult[]>>()
    for (const step of lesson.scenario.clients) finished.set(step.name, Promise.withResolvers<ClientResult[]>())
    const view: LessonView = { events, runs }
    /** Resolves true once `condition` holds over the events so far, false after `timeoutMs` or once `signal` aborts. */
    const holds = (condition: (view: LessonView) => boolean, timeoutMs: number, signal?: AbortSignal) =>
      new Promise<boolean>((resolve) => {
        const check = () => {
          if (!condition(view)) return
          cleanup()
          resolve(true)
        }
        const giveUp = () => {
          cleanup()
          resolve(false)
        }
        const timer = setTimeout(giveUp, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
          signal?.removeEventListener('abort', giveUp)
        }
        signal?.addEventListener('abort', giveUp)
        waiters.add(check)
        check()
      })
    // Every workload starts as soon as its own conditions hold, together with any other
    // whose conditions hold then too: a client driver takes a while to start, and
    // workloads meant to overlap must not wait for each other's.
    const started = lesson.scenario.clients.map(async (step) => {
      const done = finished.get(step.name)!
      try {
        for (const name of step.after ?? []) await finished.get(name)?.promise
        if (step.until && !(await holds(step.until, UNTIL_TIMEOUT_MS))) problems.push(`${step.name} started without its condition, which had not held after ${UNTIL_TIMEOUT_MS / 1000} s`)
        if (step.pauseS) await pause(step.pauseS * 1000)
        const port = ports[step.server]![step.port ?? 0]!
        const run = await lab.runClients({ ...step.spec, port })
        clients[step.name] = run.id
        options.onRuns?.(runs)
        const ended = new AbortController()
        const leaving = step.leaveWhen
          ? holds(step.leaveWhen, LEAVE_TIMEOUT_MS, ended.signal).then((held) => (held && !ended.signal.aborted ? lab.stopClients(run.id) : undefined))
          : undefined
        results[step.name] = await run.results
        ended.abort()
        await leaving
        done.resolve(results[step.name]!)
      } catch (err) {
        done.reject(err)
        throw err
      }
    })
    for (const { promise } of finished.values()) promise.catch(() => {})
    await Promise.all(started)
    await holds(serversSettled, SETTLE_TIMEOUT_MS)
    return { runs, results, problems }
  } finally {
    unsubscribe()
  }
}

export { type CheckpointOutcome, evaluate } from './lesson.ts'
