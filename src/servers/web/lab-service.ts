import { SockscopeError, toErrorInfo } from '../errors.ts'
import type { SockscopeEvent } from '../events.ts'
import type { Lab } from '../lab/lab.ts'
import type { ClientSpecInput, ServerSpecInput } from '../spec.ts'
import { buildCatalog, forPeople } from './catalog.ts'
import { workloadOutcome } from './outcome.ts'
import { type Catalog, type HostMessage, PROTOCOL_VERSION, type Request, RequestSchema, type RunInfo } from './protocol.ts'

export type SessionSink = (message: HostMessage) => void

export interface LabServiceOptions {
  host: 'web' | 'electron'
  /** Coalesce event batches into one message per this many ms (about a frame). */
  flushMs?: number
  /** While something runs, tell sessions the lab's time at least this often (ms). */
  heartbeatMs?: number
  /** Events kept for sessions that join later (a reload, a second tab); oldest dropped first. */
  historyLimit?: number
}

/** Events per message when replaying history to a new session. */
const REPLAY_CHUNK = 5000

/**
 * The lab behind one API, whatever carries it (a WebSocket in web mode, IPC in
 * Electron): requests in, responses, event batches, run lists and problems out. Events
 * are coalesced into about one message per frame for all sessions, and kept so that a
 * session that joins later sees the run from its start.
 */
export class LabService {
  readonly lab: Lab
  readonly catalog: Catalog
  private readonly host: 'web' | 'electron'
  private readonly sessions = new Set<SessionSink>()
  private readonly runs = new Map<string, RunInfo>()
  private history: SockscopeEvent[] = []
  /** The latest OS reading of each live process and socket table: what a clear keeps, since the
   *  sampler reports only changes and would not list those processes again. */
  private readonly osLatest = new Map<string, SockscopeEvent>()
  private pending: SockscopeEvent[] = []
  /** The lab's time of the last clear, if any: sessions forget what came before it. */
  private clearedAt: number | null = null
  private flushTimer: NodeJS.Timeout | undefined
  private readonly heartbeat: NodeJS.Timeout
  private readonly flushMs: number
  private readonly historyLimit: number
  private readonly unsubscribe: (() => void)[]
  private disposed = false

  constructor(lab: Lab, options: LabServiceOptions) {
    this.lab = lab
    this.host = options.host
    this.flushMs = options.flushMs ?? 16
    this.historyLimit = options.historyLimit ?? 1_000_000
    this.catalog = buildCatalog()
    this.unsubscribe = [
      lab.onEvents((batch) => this.queue(batch)),
      lab.onProblem((problem) => {
        const run = this.runs.get(problem.run)
        if (run && problem.code === 'HOST_CRASHED' && run.state !== 'stopped' && run.state !== 'finished') this.update(run, { state: 'crashed', endedAt: this.now() })
        this.broadcast({ type: 'problem', run: problem.run, code: problem.code, message: forPeople(problem.message) })
      }),
    ]
    this.heartbeat = setInterval(() => {
      if (this.pending.length === 0 && this.hasLiveRuns()) this.broadcast({ type: 'events', now: this.now(), events: [] })
    }, options.heartbeatMs ?? 250)
    this.heartbeat.unref()
  }

  /** Add a session: it gets the hello, then every event kept so far, then what comes. */
  attach(sink: SessionSink): () => void {
    this.flush()
    sink({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      host: this.host,
      labPid: process.pid,
      now: this.now(),
      originWallMs: Date.now() - this.now() / 1000,
      catalog: this.catalog,
      runs: this.listRuns(),
      clearedAt: this.clearedAt,
    })
    for (let i = 0; i < this.history.length; i += REPLAY_CHUNK)
      sink({ type: 'events', now: this.now(), events: this.history.slice(i, i + REPLAY_CHUNK) })
    this.sessions.add(sink)
    return () => this.sessions.delete(sink)
  }

  /** Answer one request (already parsed or raw); never throws. */
  async handle(raw: unknown): Promise<HostMessage> {
    const parsed = RequestSchema.safeParse(raw)
    const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1
    if (!parsed.success)
      return { type: 'response', id, ok: false, error: { code: 'BAD_MESSAGE', message: `malformed request: ${parsed.error.issues[0]?.message ?? 'invalid'}` } }
    try {
      const result = await this.call(parsed.data)
      return { type: 'response', id, ok: true, result }
    } catch (err) {
      // The lab's messages are written for the command line (`use --port 0`): say them in the form's words.
      const error = toErrorInfo(err)
      return { type: 'response', id, ok: false, error: { code: error.code, message: forPeople(error.message) } }
    }
  }

  listRuns(): RunInfo[] {
    return [...this.runs.values()].map((r) => structuredClone(r))
  }

  /** Stop every run; the lab itself stays usable. */
  async stopAll(): Promise<void> {
    const live = [...this.runs.values()].filter((r) => isLive(r))
    const stop = { server: (id: string) => this.stopServer(id), clients: (id: string) => this.stopClients(id), observed: (id: string) => this.stopObserving(id) }
    await Promise.all(live.map((r) => stop[r.kind](r.id)))
  }

  /** For the host's shutdown: stop the lab, flush, detach everyone. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.lab.stop()
    this.flush()
    clearInterval(this.heartbeat)
    for (const off of this.unsubscribe) off()
    this.sessions.clear()
  }

  private async call(request: Request): Promise<unknown> {
    switch (request.method) {
      case 'startServer':
        return this.startServer(request.params)
      case 'stopServer':
        return this.stopServer(request.params.id)
      case 'runClients':
        return this.runClients(request.params)
      case 'stopClients':
        return this.stopClients(request.params.id)
      case 'observe':
        return this.observe(request.params.pid)
      case 'stopObserving':
        return this.stopObserving(request.params.id)
      case 'listListening':
        return this.lab.listListening()
      case 'stopAll':
        return this.stopAll().then(() => null)
      case 'clear':
        return this.clear()
    }
  }

  /**
   * Forget what happened so far: the events (but the OS's latest reading of the processes
   * still alive, which the sampler would not send again), and the runs that have ended.
   * Live runs go on. A session that joins later sees the same as one that was there.
   */
  private clear(): null {
    this.flush()
    const now = this.now()
    this.clearedAt = now
    this.history = [...this.osLatest.values()].sort((a, b) => a.t - b.t)
    for (const [id, run] of this.runs) if (!isLive(run)) this.runs.delete(id)
    this.broadcast({ type: 'cleared', now })
    this.broadcastRuns()
    return null
  }

  private async startServer(params: Record<string, unknown>): Promise<RunInfo> {
    const startedAt = this.now()
    // The lab validates the spec (ServerSpec) and answers a bad one with BAD_OPTION.
    const server = await this.lab.startServer(params as unknown as ServerSpecInput)
    const run: RunInfo = {
      id: server.id,
      kind: 'server',
      pid: server.pid,
      state: 'running',
      spec: { ...server.spec },
      host: server.host,
      ports: [...server.ports],
      startedAt,
      endedAt: null,
    }
    this.runs.set(run.id, run)
    this.broadcastRuns()
    return structuredClone(run)
  }

  private async stopServer(id: string): Promise<null> {
    const run = this.known(id, 'server')
    if (!isLive(run)) return null
    this.update(run, { state: 'stopping' })
    try {
      await this.lab.stopServer(id)
    } catch (err) {
      // Already gone (it crashed, or another session stopped it): stopped all the same.
      if (!(err instanceof SockscopeError && err.code === 'NOT_RUNNING')) throw err
    }
    this.flush()
    this.update(run, { state: 'stopped', endedAt: this.now() })
    return null
  }

  private async runClients(params: Record<string, unknown>): Promise<RunInfo> {
    const startedAt = this.now()
    const clients = await this.lab.runClients(params as unknown as ClientSpecInput)
    // The UI has no input box: its lines are the whole input, so the session ends after them.
    if (clients.spec.workload === 'interactive') this.lab.sendInput(clients.id, null)
    const run: RunInfo = { id: clients.id, kind: 'clients', pid: clients.pid, state: 'running', spec: { ...clients.spec }, startedAt, endedAt: null }
    this.runs.set(run.id, run)
    this.broadcastRuns()
    clients.results.then(
      (results) => {
        if (run.state !== 'running') return
        this.flush()
        this.update(run, { state: 'finished', endedAt: this.now(), outcome: workloadOutcome(results) })
      },
      () => {
        if (isLive(run)) this.update(run, { state: 'crashed', endedAt: this.now() })
      },
    )
    return structuredClone(run)
  }

  private async stopClients(id: string): Promise<null> {
    const run = this.known(id, 'clients')
    if (!isLive(run)) return null
    this.update(run, { state: 'stopping' })
    await this.lab.stopClients(id)
    this.flush()
    if (run.state === 'stopping') this.update(run, { state: 'stopped', endedAt: this.now() })
    return null
  }

  private async observe(pid: number): Promise<RunInfo> {
    const startedAt = this.now()
    const observed = await this.lab.observe(pid)
    const run: RunInfo = { id: observed.id, kind: 'observed', pid, state: 'running', spec: { pid, command: observed.command }, startedAt, endedAt: null }
    this.runs.set(run.id, run)
    this.broadcastRuns()
    return structuredClone(run)
  }

  private async stopObserving(id: string): Promise<null> {
    const run = this.known(id, 'observed')
    if (!isLive(run)) return null
    await this.lab.stopObserving(id)
    this.flush()
    this.update(run, { state: 'stopped', endedAt: this.now() })
    return null
  }

  private keepOsLatest(event: Extract<SockscopeEvent, { kind: 'proc' | 'sockets' }>): void {
    if (event.kind === 'proc' && event.change === 'gone') {
      this.osLatest.delete(`proc:${event.pid}`)
      this.osLatest.delete(`sockets:${event.pid}`)
    } else this.osLatest.set(`${event.kind}:${event.pid}`, event)
  }

  /** An observed process that ended by itself: its run is finished, and sampling it stops. */
  private noticeObservedEnd(id: string, pid: number): void {
    const run = this.runs.get(id)
    if (!run || run.kind !== 'observed' || run.pid !== pid || !isLive(run)) return
    this.update(run, { state: 'finished', endedAt: this.now() })
    void this.lab.stopObserving(id).catch(() => undefined)
  }

  private known(id: string, kind: RunInfo['kind']): RunInfo {
    const run = this.runs.get(id)
    if (!run || run.kind !== kind) throw new SockscopeError('NOT_RUNNING', `no ${kindName[kind]} ${id} was started here`)
    return run
  }

  private update(run: RunInfo, change: Partial<RunInfo>): void {
    Object.assign(run, change)
    this.broadcastRuns()
  }

  private hasLiveRuns(): boolean {
    for (const run of this.runs.values()) if (isLive(run)) return true
    return false
  }

  private now(): number {
    return this.lab.clock.nowUs()
  }

  private queue(batch: readonly SockscopeEvent[]): void {
    for (const event of batch) {
      this.pending.push(event)
      if (event.kind === 'proc' || event.kind === 'sockets') this.keepOsLatest(event)
      if (event.kind === 'proc' && event.change === 'gone') this.noticeObservedEnd(event.src.run, event.pid)
    }
    this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs)
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    if (this.pending.length === 0) return
    const events = this.pending
    this.pending = []
    for (const event of events) this.history.push(event)
    if (this.history.length > this.historyLimit) this.history = this.history.slice(this.history.length - this.historyLimit)
    this.broadcast({ type: 'events', now: this.now(), events })
  }

  private broadcastRuns(): void {
    this.broadcast({ type: 'runs', now: this.now(), runs: this.listRuns() })
  }

  private broadcast(message: HostMessage): void {
    for (const sink of this.sessions) sink(message)
  }
}

const kindName: Record<RunInfo['kind'], string> = { server: 'server', clients: 'client workload', observed: 'observed process' }

function isLive(run: RunInfo): boolean {
  return run.state === 'starting' || run.state === 'running' || run.state === 'stopping'
}
