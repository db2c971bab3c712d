import { type Clock, createClock } from '../clock.ts'
import { entryPath } from '../entries.ts'
import { type ErrorInfo, SockscopeError } from '../errors.ts'
import type { EventSource, SockscopeEvent } from '../events.ts'
import type { ClientResult } from '../host/protocol.ts'
import { findApp } from '../apps/index.ts'
import { findModel } from '../models/index.ts'
import { findWorkload } from '../clients/workloads/index.ts'
import { ClientSpec, type ClientSpecInput, parseSpec, ServerSpec, type ServerSpecInput } from '../spec.ts'
import { EventMerger } from './event-merger.ts'
import { ManagedProcess, type ProcessState } from './managed-process.ts'

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

export type LabListener = (batch: readonly SockscopeEvent[]) => void
export type LabProblemListener = (problem: ErrorInfo & { run: string }) => void

/**
 * The lab: starts a server host process per server and a client driver process per
 * workload, merges their event batches into one time-ordered stream, and stops
 * everything it started — on stop(), on SIGINT/SIGTERM (see installSignalHandlers), and
 * when its own process exits.
 */
export class Lab {
  readonly clock: Clock
  private readonly merger: EventMerger
  private readonly listeners = new Set<LabListener>()
  private readonly problemListeners = new Set<LabProblemListener>()
  private readonly servers = new Map<string, { run: ServerRun; process: ManagedProcess }>()
  private readonly clients = new Map<string, { run: ClientRun; process: ManagedProcess }>()
  private nextId = 1
  private stopping: Promise<void> | undefined

  constructor(clock: Clock = createClock()) {
    this.clock = clock
    this.merger = new EventMerger(clock.nowUs, (batch) => {
      for (const listener of this.listeners) listener(batch)
    })
  }

  /** Receive merged, time-ordered batches. Returns an unsubscribe function. */
  onEvents(listener: LabListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
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

  async startServer(input: ServerSpecInput): Promise<ServerRun> {
    const spec = parseSpec(ServerSpec, input)
    findModel(spec.model)
    findApp(spec.app)
    const id = `s${this.nextId++}`
    const process = this.spawn(id, 'server-host', 'server')
    const run: ServerRun = { id, pid: process.pid, spec, host: spec.host, ports: [], state: 'starting' }
    this.servers.set(id, { run, process })
    process.on('exit', () => {
      run.state = 'stopped'
      this.servers.delete(id)
    })
    process.send({ type: 'start-server', run: id, spec })
    try {
      const ready = await process.waitFor('ready')
      run.ports = ready.ports
      run.host = ready.host
      run.state = process.state = 'running'
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
    this.merger.flush()
  }

  /** Start a client workload; resolves once its driver is ready, with results to await. */
  async runClients(input: ClientSpecInput): Promise<ClientRun> {
    const spec = parseSpec(ClientSpec, input)
    findWorkload(spec.workload)
    const id = `c${this.nextId++}`
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
    process.send({ type: 'start-clients', run: id, spec })
    await process.waitFor('ready')
    run.state = process.state = 'running'
    return run
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
    this.merger.flush()
  }

  /** Stop every server and workload; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([
        ...[...this.clients.keys()].map((id) => this.stopClients(id)),
        ...[...this.servers.keys()].map((id) => this.stopServer(id)),
      ])
      this.merger.dispose()
    })()
    return this.stopping
  }

  /** For hosts (CLI, Electron main, web): stop everything on SIGINT/SIGTERM, then exit. */
  installSignalHandlers(onStopped: (signal: NodeJS.Signals) => void = (signal) => process.exit(signal === 'SIGINT' ? 130 : 143)): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void this.stop().finally(() => onStopped(signal)))
    }
  }

  private async finishClients(id: string): Promise<void> {
    const entry = this.clients.get(id)
    if (!entry) return
    await entry.process.stop()
    this.merger.flush()
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
