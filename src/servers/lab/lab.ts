import { constants as osConstants } from 'node:os'
import { z } from 'zod'
import { type Clock, createClock } from '../clock.ts'
import { entryPath } from '../entries.ts'
import { type ErrorInfo, SockscopeError } from '../errors.ts'
import type { EventSource, SockscopeEvent } from '../events.ts'
import type { ClientResult } from '../host/protocol.ts'
import { findApp } from '../apps/index.ts'
import { findModel } from '../models/index.ts'
import { findWorkload } from '../clients/workloads/index.ts'
import { ClientSpec, type ClientSpecInput, parseSpec, ServerSpec, type ServerSpecInput } from '../spec.ts'
import { createProcessSource, listListeningProcesses, type ListeningProcess, ProcessSampler, type ProcessSource } from '../os/index.ts'
import { EventMerger } from './event-merger.ts'
import { type LifelineOptions, type StopReason, watchLifeline } from './lifeline.ts'
import { ManagedProcess, type ProcessState } from './managed-process.ts'
import { StraceRun, type TraceTarget } from '../tracer/strace-runner.ts'

export type { LifelineOptions, StopReason }

/** After a stop signal: when processes that have not exited are killed, and when this one exits. */
export const KILL_AFTER_MS = 400
// Long enough for a busy machine to finish the trace's last batch and rewrite its header
// after the kill (at 700 ms, a loaded 2-core machine left `ended: null` and exit 130).
export const EXIT_AFTER_MS = 1500

/** As a shell reports a death by that signal (128 + its number); a lost parent counts as a hangup. */
function exitCode(reason: StopReason): number {
  return 128 + osConstants.signals[reason === 'orphaned' ? 'SIGHUP' : reason]
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

export interface ServerRun {
  id: string
  pid: number
  spec: ServerSpec
  host: string
  ports: number[]
  state: ProcessState
}

export interface ClientRun {
  id: string
  pid: number
  spec: ClientSpec
  state: ProcessState
  /** Every client's result, once the workload has finished (or was stopped). */
  results: Promise<ClientResult[]>
}

/**
 * A program traced with strace (tracer/): one Sockscope did not write, started by the lab
 * (`command`) or attached to by pid. Its events are the same union as a server's.
 */
export interface TracedRun {
  id: string
  /** The traced program's pid (null until its first system call is seen). */
  pid: number | null
  command: string
  attached: boolean
  cwd?: string
  host: string
  /** The ports it listens on, as its listen calls are seen. */
  ports: number[]
  state: ProcessState
}

/** A process the lab did not start, watched as the OS sees it (with its descendants and sockets). */
export interface ObservedRun {
  id: string
  pid: number
  command: string
  state: 'running' | 'stopped'
}

/**
 * Caps on what one user of the lab may ask for at once. Servers and workloads count from
 * the moment they are asked for until their process has exited; clients are the sum of
 * the running workloads' counts. Each is a positive integer.
 */
export const LabLimitsSchema = z.object({
  servers: z.number().int().min(1).max(1000).describe('servers running at once'),
  workloads: z.number().int().min(1).max(1000).describe('client workloads running at once'),
  clients: z.number().int().min(1).max(100_000).describe('clients driven at once, over every running workload'),
})
export type LabLimits = z.infer<typeof LabLimitsSchema>

/** Enough for any lesson (a server per model, twice over), and few enough that one user cannot make the machine swap. */
export const DEFAULT_LAB_LIMITS: Readonly<LabLimits> = Object.freeze({ servers: 16, workloads: 16, clients: 1000 })

/**
 * The command-line flags that raise each cap, on the hosts that offer them (`sockscope
 * web`, `sockscope app`): a refusal names the flag, so it must be the one they take.
 */
export const LIMIT_FLAGS: Readonly<Record<keyof LabLimits, string>> = Object.freeze({
  servers: '--max-servers',
  workloads: '--max-workloads',
  clients: '--max-clients',
})

export interface LabOptions {
  clock?: Clock
  /** Caps on servers, workloads and clients at once (DEFAULT_LAB_LIMITS for any left out); past one, a start is refused with LIMIT_REACHED. */
  limits?: Partial<LabLimits>
  /**
   * Sample the OS process table of every run's tree (`proc` events: the kernel's state
   * letter, threads, CPU, memory) beside what the servers report. Default on.
   */
  osSampling?: boolean
  /** Time between OS samples (ms); default 250. */
  osIntervalMs?: number
}

export type LabListener = (batch: readonly SockscopeEvent[]) => void
export type LabProblemListener = (problem: ErrorInfo & { run: string }) => void

/**
 * The lab: starts a server host process per server and a client driver process per
 * workload, merges their event batches into one time-ordered stream, and stops
 * everything it started — on stop(), on SIGINT/SIGTERM/SIGHUP or a lost parent (see
 * installSignalHandlers), and when its own process exits; if it vanishes without a word
 * (SIGKILL), each process's watchdog ends it (host/watchdog.ts). It refuses more servers,
 * workloads or clients at once than its `limits` allow (LIMIT_REACHED).
 */
export class Lab {
  readonly clock: Clock
  private readonly merger: EventMerger
  private readonly listeners = new Set<LabListener>()
  private readonly problemListeners = new Set<LabProblemListener>()
  private readonly servers = new Map<string, { run: ServerRun; process: ManagedProcess }>()
  private readonly clients = new Map<string, { run: ClientRun; process: ManagedProcess }>()
  /** Servers, client runs and observed processes count apart: s1, s2 …, c1, c2 …, o1 …, as a person would number them. */
  private readonly nextId = { s: 1, c: 1, o: 1, t: 1 }
  private readonly traces = new Map<string, { run: TracedRun; tracer: StraceRun }>()
  private readonly observed = new Map<string, ObservedRun>()
  private readonly processSource: ProcessSource
  /**
   * The lab's own runs: process tree, state, threads, and the sockets where the kernel
   * holds a backlog (a peer that does not read: the Send-Q behind a blocked send). The
   * servers report the rest of their sockets themselves.
   */
  private readonly runSampler: ProcessSampler | undefined
  /** Observed processes: their trees and their socket tables, which are all we know of them. */
  private readonly observeSampler: ProcessSampler
  private stopping: Promise<void> | undefined
  readonly limits: Readonly<LabLimits>

  constructor(options: LabOptions = {}) {
    this.limits = Object.freeze(parseSpec(LabLimitsSchema, { ...DEFAULT_LAB_LIMITS, ...options.limits }))
    const clock = options.clock ?? createClock()
    this.clock = clock
    this.merger = new EventMerger(clock.nowUs, (batch) => {
      for (const listener of this.listeners) listener(batch)
    })
    this.processSource = createProcessSource()
    const sampling = {
      clock,
      intervalMs: options.osIntervalMs ?? 250,
      source: this.processSource,
      onEvents: (events: SockscopeEvent[]) => this.merger.add(events),
      onError: (error: ErrorInfo) => this.reportProblem('os', 'os', process.pid, { code: 'OS_SAMPLE_FAILED', message: `could not read the process table: ${error.message}` }),
    }
    if (options.osSampling ?? true) this.runSampler = new ProcessSampler({ ...sampling, sockets: 'queued' })
    this.observeSampler = new ProcessSampler({ ...sampling, sockets: true })
  }

  /**
   * Receive merged, time-ordered batches (each batch in order; across batches too, but for
   * the `lateEvents` that came in after newer ones had gone out). Returns an unsubscribe function.
   */
  onEvents(listener: LabListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** How many events were released after a newer one, from a process stalled for longer than the merger's window. */
  get lateEvents(): number {
    return this.merger.late
  }

  /** Problems that are not events of a run: malformed messages, crashed processes. */
  onProblem(listener: LabProblemListener): () => void {
    this.problemListeners.add(listener)
    return () => this.problemListeners.delete(listener)
  }

  listServers(): ServerRun[] {
    return [...this.servers.values()].map((s) => s.run)
  }

  listClientRuns(): ClientRun[] {
    return [...this.clients.values()].map((c) => c.run)
  }

  /**
   * Start a server; resolves once it listens. `warm`: once its spare handlers are booted
   * too (thread keeps 8, booted one after another), so that a load started then meets the
   * model, not its warm-up.
   */
  async startServer(input: ServerSpecInput, options: { warm?: boolean } = {}): Promise<ServerRun> {
    const spec = parseSpec(ServerSpec, input)
    findModel(spec.model)
    findApp(spec.app)
    // Checked and counted in one synchronous step, so that starts racing each other cannot pass the cap together.
    if (this.servers.size >= this.limits.servers)
      throw new SockscopeError(
        'LIMIT_REACHED',
        `${plural(this.servers.size, 'server is', 'servers are')} running, the most this lab runs at once: stop one, or raise the cap with ${LIMIT_FLAGS.servers}`,
      )
    const id = `s${this.nextId.s++}`
    const process = this.spawn(id, 'server-host', 'server')
    const run: ServerRun = { id, pid: process.pid, spec, host: spec.host, ports: [], state: 'starting' }
    this.servers.set(id, { run, process })
    process.on('exit', () => {
      run.state = 'stopped'
      this.servers.delete(id)
    })
    // Listened for before the start: `warm` may come in the same breath as `ready`.
    const warm = options.warm ? process.waitFor('warm') : null
    warm?.catch(() => {})
    process.send({ type: 'start-server', run: id, spec })
    try {
      const ready = await process.waitFor('ready')
      await warm
      run.ports = ready.ports
      run.host = ready.host
      run.state = process.state = 'running'
      this.watchTree(process.pid, id)
      return run
    } catch (err) {
      await process.stop()
      throw err
    }
  }

  async stopServer(id: string): Promise<void> {
    const entry = this.servers.get(id)
    if (!entry) throw new SockscopeError('NOT_RUNNING', `no server ${id} is running`)
    entry.run.state = 'stopping'
    await entry.process.stop()
    await this.idleRunSampler()
    // Resolve with this run's events released. Not a flush: other processes' batches may
    // still be in flight, and releasing everything now would put them after newer ones.
    await this.merger.settle()
  }

  /**
   * Start a client workload; resolves once its driver is ready, with results to await.
   * `held`: the driver waits, ready, for releaseClients() before its first connect, so
   * several workloads can start at one instant rather than one driver boot apart.
   */
  async runClients(input: ClientSpecInput, options: { held?: boolean } = {}): Promise<ClientRun> {
    const spec = parseSpec(ClientSpec, input)
    findWorkload(spec.workload)
    this.checkClientCaps(spec.count)
    const id = `c${this.nextId.c++}`
    const process = this.spawn(id, 'client-driver', 'client')
    const results = new Promise<ClientResult[]>((resolve, reject) => {
      process.waitFor('results').then((m) => resolve(m.results as ClientResult[]), reject)
    })
    // A stopped workload resolves with no results rather than failing its caller.
    const settled = results.catch((err: SockscopeError) => {
      if (run.state === 'stopping' || run.state === 'stopped') return []
      throw err
    })
    const run: ClientRun = { id, pid: process.pid, spec, state: 'starting', results: settled }
    this.clients.set(id, { run, process })
    process.on('exit', () => {
      run.state = 'stopped'
      this.clients.delete(id)
    })
    settled.then(
      () => this.finishClients(id),
      () => this.finishClients(id),
    )
    process.send({ type: 'start-clients', run: id, spec, ...(options.held && { held: true }) })
    await process.waitFor('ready')
    run.state = process.state = 'running'
    this.watchTree(process.pid, id)
    return run
  }

  /** Let a held workload (runClients' `held`) begin; a no-op for one already going or gone. */
  releaseClients(id: string): void {
    this.clients.get(id)?.process.send({ type: 'go' })
  }

  /** Push a line to a running workload that reads input (interactive); null ends its input. */
  sendInput(id: string, line: string | null): void {
    const entry = this.clients.get(id)
    if (!entry) throw new SockscopeError('NOT_RUNNING', `no workload ${id} is running`)
    entry.process.send({ type: 'input', line })
  }

  async stopClients(id: string): Promise<void> {
    const entry = this.clients.get(id)
    if (!entry) return
    entry.run.state = 'stopping'
    await entry.process.stop()
    await this.idleRunSampler()
    await this.merger.settle()
  }

  /**
   * Watch a process the lab did not start, and its descendants, as the OS sees it:
   * `proc` events for the tree and `sockets` events for each process's TCP sockets.
   */
  async observe(pid: number): Promise<ObservedRun> {
    if (this.stopping) throw new SockscopeError('NOT_RUNNING', 'the lab is stopping')
    const found = await this.processSource.lookup(pid)
    if (found.kind === 'none') throw new SockscopeError('NO_SUCH_PROCESS', `no process with pid ${pid}`)
    if (found.kind === 'thread') throw new SockscopeError('BAD_OPTION', `${pid} is a thread of process ${found.tgid}: observe ${found.tgid}`)
    for (const run of this.observed.values())
      if (run.pid === pid && run.state === 'running') throw new SockscopeError('BAD_OPTION', `process ${pid} is already observed (${run.id})`)
    const id = `o${this.nextId.o++}`
    this.observeSampler.addRoot(pid, id)
    const snapshot = await this.observeSampler.sample()
    const root = snapshot.processes.find((p) => p.pid === pid)
    if (!root) {
      this.observeSampler.removeRoot(pid)
      throw new SockscopeError('NO_SUCH_PROCESS', `process ${pid} ended before it could be observed`)
    }
    const run: ObservedRun = { id, pid, command: root.command, state: 'running' }
    this.observed.set(id, run)
    this.observeSampler.start()
    return run
  }

  async stopObserving(id: string): Promise<void> {
    const run = this.observed.get(id)
    if (!run) throw new SockscopeError('NOT_RUNNING', `no observed process ${id}`)
    if (run.state === 'stopped') return
    run.state = 'stopped'
    this.observeSampler.removeRoot(run.pid)
    if (![...this.observed.values()].some((r) => r.state === 'running')) await this.observeSampler.stop()
  }

  listObserved(): ObservedRun[] {
    return [...this.observed.values()]
  }

  /**
   * Trace a program with strace: start it (`command`, in `cwd`) or attach to a running
   * process (`pid`). Resolves once strace runs and the program has made its first traced
   * call; its events (listen, accept, recv, fork, reap, …) come in the lab's stream under
   * the run's id (t1, t2 …), and its process tree is sampled as a server's is. A traced
   * program counts against the servers cap.
   */
  async startTrace(target: TraceTarget, options: { onOutput?: (line: string) => void } = {}): Promise<TracedRun> {
    if (this.stopping) throw new SockscopeError('NOT_RUNNING', 'the lab is stopping')
    if (this.servers.size + this.traces.size >= this.limits.servers)
      throw new SockscopeError(
        'LIMIT_REACHED',
        `${plural(this.servers.size + this.traces.size, 'server is', 'servers are')} running, the most this lab runs at once: stop one, or raise the cap with ${LIMIT_FLAGS.servers}`,
      )
    const id = `t${this.nextId.t++}`
    const attached = 'pid' in target
    const run: TracedRun = {
      id,
      pid: attached ? target.pid : null,
      command: attached ? `pid ${target.pid}` : target.command.join(' '),
      attached,
      ...(!attached && target.cwd ? { cwd: target.cwd } : {}),
      host: '127.0.0.1',
      ports: [],
      state: 'starting',
    }
    const tracer = new StraceRun({
      run: id,
      clock: this.clock,
      target,
      onOutput: options.onOutput,
      onEvents: (batch) => {
        for (const e of batch)
          if (e.kind === 'listen' && e.src.pid === run.pid && !run.ports.includes(e.port)) {
            run.ports.push(e.port)
            run.host = e.host
          }
        this.merger.add(batch)
      },
    })
    this.traces.set(id, { run, tracer })
    tracer.on('problem', (problem) => this.reportProblem(id, 'server', run.pid ?? process.pid, problem.toInfo()))
    tracer.on('exit', () => {
      run.state = 'stopped'
      this.traces.delete(id)
      void this.idleRunSampler()
    })
    try {
      await tracer.start()
    } catch (err) {
      this.traces.delete(id)
      throw err
    }
    run.pid = tracer.pid
    run.state = 'running'
    if (run.pid !== null) this.watchTree(run.pid, id)
    return run
  }

  async stopTrace(id: string): Promise<void> {
    const entry = this.traces.get(id)
    if (!entry) throw new SockscopeError('NOT_RUNNING', `no traced program ${id} is running`)
    entry.run.state = 'stopping'
    await entry.tracer.stop()
    await this.idleRunSampler()
    await this.merger.settle()
  }

  listTraces(): TracedRun[] {
    return [...this.traces.values()].map((t) => t.run)
  }

  /** Processes with a TCP socket in LISTEN: candidates to observe. */
  listListening(): Promise<ListeningProcess[]> {
    return listListeningProcesses(this.processSource)
  }

  /** Stop every server and workload, and stop observing; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([
        ...[...this.clients.keys()].map((id) => this.stopClients(id)),
        ...[...this.servers.keys()].map((id) => this.stopServer(id)),
        ...[...this.observed.keys()].map((id) => this.stopObserving(id)),
        ...[...this.traces.keys()].map((id) => this.stopTrace(id).catch(() => undefined)),
      ])
      // One last reading, so the stream ends with every process the runs started gone.
      if (this.runSampler?.state === 'running') {
        await this.runSampler.sample().catch(() => undefined)
        await this.runSampler.stop()
      }
      // Every process has closed its IPC channel, so every batch is in: release them all.
      this.merger.dispose()
    })()
    return this.stopping
  }

  /**
   * For hosts (CLI, Electron main, web): on SIGINT, SIGTERM or SIGHUP (and, with
   * `orphan`, when the process that started this one is gone: see watchLifeline) stop
   * everything, then call `onStopped`, which should exit. Within two seconds, whatever hangs:
   * a process that has not exited KILL_AFTER_MS after the signal (a blocked event loop
   * never reads its stop message) is killed with its process group, and this process
   * exits EXIT_AFTER_MS after the signal if `onStopped` has not ended it by then (a lost
   * parent is seen within 200 ms). A script that sent the signal, or a supervisor, waits
   * for the port to be free, not for the last lines of a trace.
   * Returns a function that removes the handlers.
   */
  installSignalHandlers(onStopped: (reason: StopReason) => void = (reason) => process.exit(exitCode(reason)), options: LifelineOptions = {}): () => void {
    return watchLifeline((reason) => {
      const kill = setTimeout(() => {
        for (const { process: child } of [...this.servers.values(), ...this.clients.values()]) child.kill()
        for (const { tracer } of this.traces.values()) tracer.killNow()
      }, KILL_AFTER_MS)
      // Unref'd: neither deadline keeps alive a process that has nothing else left to do.
      kill.unref()
      setTimeout(() => process.exit(exitCode(reason)), EXIT_AFTER_MS).unref()
      void this.stop().finally(() => {
        clearTimeout(kill)
        onStopped(reason)
      })
    }, options)
  }

  private checkClientCaps(count: number): void {
    if (this.clients.size >= this.limits.workloads)
      throw new SockscopeError(
        'LIMIT_REACHED',
        `${plural(this.clients.size, 'client workload is', 'client workloads are')} running, the most this lab runs at once: wait for one to end or stop one, or raise the cap with ${LIMIT_FLAGS.workloads}`,
      )
    const driven = [...this.clients.values()].reduce((sum, { run }) => sum + run.spec.count, 0)
    if (driven === 0 && count > this.limits.clients)
      throw new SockscopeError(
        'LIMIT_REACHED',
        `a workload of ${count} clients is over this lab's cap of ${this.limits.clients} clients at once: ask for fewer, or raise the cap with ${LIMIT_FLAGS.clients}`,
      )
    if (driven + count > this.limits.clients)
      throw new SockscopeError(
        'LIMIT_REACHED',
        `${plural(count, 'more client', 'more clients')} would make ${driven + count} running at once, over this lab's cap of ${this.limits.clients}: wait for a workload to end or stop one, or raise the cap with ${LIMIT_FLAGS.clients}`,
      )
  }

  /** Sample the tree under a run's process from now on, under the run's id. */
  private watchTree(pid: number, run: string): void {
    if (!this.runSampler) return
    this.runSampler.addRoot(pid, run)
    this.runSampler.start()
  }

  /** Nothing of the lab's left to watch: take a last reading (their `gone` events), then rest. */
  private async idleRunSampler(): Promise<void> {
    const busy = () => this.servers.size + this.clients.size + this.traces.size > 0
    if (!this.runSampler || this.runSampler.state !== 'running' || busy()) return
    await this.runSampler.sample().catch(() => undefined)
    if (!busy()) await this.runSampler.stop()
  }

  private async finishClients(id: string): Promise<void> {
    const entry = this.clients.get(id)
    if (!entry) return
    await entry.process.stop()
    await this.idleRunSampler()
  }

  private spawn(id: string, entry: 'server-host' | 'client-driver', role: EventSource['role']): ManagedProcess {
    const child = new ManagedProcess(entryPath(entry), this.clock.originNs)
    child.on('message', (message) => {
      if (message.type === 'events') this.merger.add(message.events)
    })
    child.on('invalid', (problem) => this.reportProblem(id, role, child.pid, problem))
    child.on('exit', ({ code, signal, expected }) => {
      if (!expected && code !== 0)
        this.reportProblem(id, role, child.pid, {
          code: 'HOST_CRASHED',
          message: `${role} process ${child.pid} ended unexpectedly (${signal ?? `exit code ${code}`})`,
        })
    })
    return child
  }

  private reportProblem(run: string, role: EventSource['role'], pid: number, problem: ErrorInfo): void {
    this.merger.add([{ kind: 'error', t: this.clock.nowUs(), src: { role, run, pid, tid: 0 }, code: problem.code, message: problem.message }])
    for (const listener of this.problemListeners) listener({ ...problem, run })
  }
}
