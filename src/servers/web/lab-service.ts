import { stat } from 'node:fs/promises'
import { SockscopeError, toErrorInfo } from '../errors.ts'
import { splitCommandLine } from '../tracer/command-line.ts'
import type { SockscopeEvent } from '../events.ts'
import type { Lab } from '../lab/lab.ts'
import type { ClientSpecInput, ServerSpecInput } from '../spec.ts'
import type { ClientResult } from '../host/protocol.ts'
import type { ListeningProcess } from '../os/index.ts'
import { buildCatalog, forPeople } from './catalog.ts'
import { TargetPolicy } from './loopback.ts'
import { workloadOutcome } from './outcome.ts'
import { parseCompareSpec, startCompare } from '../compare/run.ts'
import { findLesson } from '../lessons/index.ts'
import { runScenario } from '../lessons/runner.ts'
import {
  type Catalog,
  type CompareStarted,
  type HostMessage,
  type LessonRun,
  MAX_SESSION_LESSONS,
  PROTOCOL_VERSION,
  type Request,
  RequestSchema,
  type RunInfo,
  type SavedTrace,
  TRACE_PATH,
} from './protocol.ts'
import { RecordingList } from './recordings.ts'
import type { SessionRecord } from './session-trace.ts'
import type { TraceNote } from '../trace-lines.ts'

export type SessionSink = (message: HostMessage) => void

/** A session that can say when it has room: the history is paced to it. */
export interface PacedSession {
  send: SessionSink
  /** Resolves true when the session can take the next part of the history, false once it is gone. */
  ready(): Promise<boolean>
}

export interface LabServiceOptions {
  host: 'web' | 'electron'
  /** Coalesce event batches into one message per this many ms (about a frame). */
  flushMs?: number
  /** While something runs, tell sessions the lab's time at least this often (ms). */
  heartbeatMs?: number
  /** Events kept for sessions that join later (a reload, a second tab); oldest dropped first. */
  historyLimit?: number
  /** Addresses beyond loopback that servers and client workloads may use (see TargetPolicy). */
  allowTargets?: readonly string[]
  /**
   * The host's Save trace (Electron: a save dialog, then the file), for the `saveTrace`
   * request; resolves null when the person cancelled. Without it the request is refused:
   * web mode saves by downloading TRACE_PATH.
   */
  saveTrace?: () => Promise<SavedTrace | null>
  /**
   * Whether pages may run a program under the tracer (`startTrace`): a command of their
   * choosing, run as this user. Default on; web mode turns it off when served beyond loopback.
   */
  allowTrace?: boolean
}

/**
 * Events per message, live or replayed: about 75 KB of JSON, a millisecond or two to
 * serialize, so no one message holds the event loop (a 391k-event history in one go
 * stalled every session for 2.2 s). Under V8's large-object size (128 KB), the text of a
 * message sent is reclaimed by the next young-generation GC: 20 pages that never read
 * cost the host half the memory they did with messages of 1000 events.
 */
export const MAX_EVENTS_PER_MESSAGE = 500

/** A session attached to the service: live once its replay has caught up. */
interface Member {
  send: SessionSink
  ready?: () => Promise<boolean>
  /** The absolute index (see historyBase) of the next history event it has not been sent. */
  cursor: number
  live: boolean
  detached: boolean
}

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
  private readonly sessions = new Set<Member>()
  private readonly runs = new Map<string, RunInfo>()
  private history: SockscopeEvent[] = []
  /** The absolute index of history[0]: what replays count in, across trims and clears. */
  private historyBase = 0
  private readonly targets: TargetPolicy
  private readonly allowTrace: boolean
  /** One /proc scan shared by every listListening asked while it runs. */
  private listing: Promise<ListeningProcess[]> | undefined
  /** The latest OS reading of each live process and socket table: what a clear keeps, since the
   *  sampler reports only changes and would not list those processes again. */
  private readonly osLatest = new Map<string, SockscopeEvent>()
  private pending: SockscopeEvent[] = []
  /** The lab's time of the last clear, if any: sessions forget what came before it. */
  private clearedAt: number | null = null
  /** The session's notes (a page's, kept here so that a reload, another page and Save trace have them). */
  private notes: TraceNote[] = []
  /** The lessons run in the session, oldest first (at most MAX_SESSION_LESSONS). */
  private lessons: LessonRun[] = []
  private flushTimer: NodeJS.Timeout | undefined
  private readonly heartbeat: NodeJS.Timeout
  private readonly flushMs: number
  private readonly historyLimit: number
  private readonly unsubscribe: (() => void)[]
  private disposed = false
  /** Events dropped at the front of the history since the last clear: a saved trace says so. */
  private trimmed = 0
  /** The trace files offered to pages (`sockscope web FILE...`, File › Open). */
  readonly recordings = new RecordingList()
  /** The host was started with files to open, and no live run: every page opens them. */
  private openAtStart = false
  private readonly saveTraceHook: (() => Promise<SavedTrace | null>) | undefined

  constructor(lab: Lab, options: LabServiceOptions) {
    this.lab = lab
    this.host = options.host
    this.flushMs = options.flushMs ?? 16
    this.historyLimit = options.historyLimit ?? 1_000_000
    this.catalog = buildCatalog()
    this.targets = new TargetPolicy(options.allowTargets)
    this.allowTrace = options.allowTrace ?? true
    this.saveTraceHook = options.saveTrace
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

  /**
   * Add a session: it gets the hello, then every event kept so far, then what comes. The
   * history goes out in messages of at most MAX_EVENTS_PER_MESSAGE events, one per turn
   * of the event loop and, for a paced session, only when it has room; live events join
   * after it. Other messages (runs, problems, a clear) go out at once.
   */
  attach(target: SessionSink | PacedSession): () => void {
    this.flush()
    const member: Member =
      typeof target === 'function'
        ? { send: target, cursor: this.historyBase, live: false, detached: false }
        : { send: target.send, ready: () => target.ready(), cursor: this.historyBase, live: false, detached: false }
    member.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      host: this.host,
      labPid: process.pid,
      now: this.now(),
      originWallMs: Date.now() - this.now() / 1000,
      catalog: this.catalog,
      runs: this.listRuns(),
      clearedAt: this.clearedAt,
      recordings: this.recordings.list(),
      openAtStart: this.openAtStart,
      notes: this.notes,
      lessons: this.lessons,
    })
    this.sessions.add(member)
    void this.replay(member)
    return () => {
      member.detached = true
      this.sessions.delete(member)
    }
  }

  private async replay(member: Member): Promise<void> {
    for (;;) {
      if (member.detached) return
      // Trimmed or cleared meanwhile: what is gone is gone for everyone.
      member.cursor = Math.max(member.cursor, this.historyBase)
      if (member.cursor >= this.historyBase + this.history.length) break
      if (member.ready && !(await member.ready())) return
      if (member.detached) return
      member.cursor = Math.max(member.cursor, this.historyBase)
      const from = member.cursor - this.historyBase
      const events = this.history.slice(from, from + MAX_EVENTS_PER_MESSAGE)
      if (events.length === 0) continue
      member.cursor += events.length
      member.send({ type: 'events', now: this.now(), events })
      await new Promise((resolve) => setImmediate(resolve))
    }
    // Caught up: from here on the flushes bring it everything (they add to the history first).
    member.live = true
  }

  /** Answer one request (already parsed or raw); never throws. */
  async handle(raw: unknown): Promise<HostMessage> {
    const parsed = RequestSchema.safeParse(raw)
    // Only an id the protocol allows is answered with; 1.5 or 1e300 are not echoed back.
    const rawId = (raw as { id?: unknown })?.id
    const id = Number.isSafeInteger(rawId) && (rawId as number) >= 0 ? (rawId as number) : -1
    if (!parsed.success)
      return { type: 'response', id, ok: false, error: { code: 'BAD_MESSAGE', message: `malformed request: ${parsed.error.issues[0]?.message ?? 'invalid'}` } }
    try {
      const result = await this.call(parsed.data)
      return { type: 'response', id, ok: true, result }
    } catch (err) {
      // The lab's messages are written for the command line (`use --port 0`): say them in the form's words.
      // A refusal names the command-line flag that allows it, so it is said as it is.
      const error = toErrorInfo(err)
      return { type: 'response', id, ok: false, error: { code: error.code, message: error.code === 'NOT_ALLOWED' ? error.message : forPeople(error.message) } }
    }
  }

  /**
   * Offer trace files to the pages (see RecordingList.add: each is checked, all or none).
   * `atStart`: the host was started with them (hello's openAtStart, before any page joins);
   * otherwise every page is told to open them now, in a `recordings` message.
   */
  async addRecordings(files: readonly string[], options: { base?: string; atStart?: boolean } = {}): Promise<number[]> {
    const indices = await this.recordings.add(files, options.base)
    if (options.atStart) this.openAtStart = indices.length > 0
    else this.broadcast({ type: 'recordings', recordings: this.recordings.list(), open: indices })
    return indices
  }

  /** Tell every page of a problem the host met on its own (a file from File › Open it cannot read, a save that failed from the menu). */
  announce(problem: { code: string; message: string }): void {
    this.broadcast({ type: 'problem', run: 'app', code: problem.code, message: problem.message })
  }

  /**
   * The session as it stands, for Save trace (session-trace.ts): the events kept, without
   * a copy (the history is replaced, never rewritten, when it is trimmed or cleared, so
   * its first `count` events stay as they are while they are written out).
   */
  recorded(): SessionRecord {
    this.flush()
    return {
      events: this.history,
      count: this.history.length,
      originNs: this.lab.clock.originNs,
      host: this.host,
      trimmed: this.trimmed,
      historyLimit: this.historyLimit,
      clearedAt: this.clearedAt,
      notes: this.notes,
      lessons: this.lessons.map(({ t, lesson, runs }) => ({ t, lesson, runs })),
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
    for (const member of this.sessions) member.detached = true
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
      case 'startTrace':
        return this.startTrace(request.params.command, request.params.cwd)
      case 'observe':
        return this.observe(request.params.pid)
      case 'stopObserving':
        return this.stopObserving(request.params.id)
      case 'listListening':
        this.listing ??= this.lab.listListening().finally(() => (this.listing = undefined))
        return this.listing
      case 'stopAll':
        return this.stopAll().then(() => null)
      case 'clear':
        return this.clear()
      case 'readRecording':
        return this.recordings.read(request.params.index, request.params.offset, request.params.length)
      case 'setNotes':
        this.notes = [...request.params.notes].sort((a, b) => a.t - b.t)
        this.broadcast({ type: 'notes', notes: this.notes })
        return null
      case 'startCompare':
        return this.startCompare(request.params)
      case 'runLesson':
        return this.runLesson(request.params.id)
      case 'saveTrace':
        if (!this.saveTraceHook) throw new SockscopeError('BAD_MESSAGE', `this host saves the session as a download of ${TRACE_PATH}, not through saveTrace`)
        return this.saveTraceHook()
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
    this.historyBase += this.history.length
    this.trimmed = 0
    this.history = [...this.osLatest.values()].sort((a, b) => a.t - b.t)
    // Notes and lesson runs belong to the events they were made at (a running lesson is kept: it goes on).
    this.notes = []
    this.lessons = this.lessons.filter((l) => l.state === 'running')
    this.broadcast({ type: 'lessons', lessons: this.lessons })
    for (const [id, run] of this.runs) if (!isLive(run)) this.runs.delete(id)
    this.broadcast({ type: 'cleared', now })
    this.broadcastRuns()
    return null
  }

  private async startServer(params: Record<string, unknown>, options: { warm?: boolean } = {}): Promise<RunInfo> {
    const startedAt = this.now()
    this.targets.check(params.host, 'server')
    // The lab validates the spec (ServerSpec) and answers a bad one with BAD_OPTION.
    const server = await this.lab.startServer(params as unknown as ServerSpecInput, options)
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

  private async startTrace(commandLine: string, cwd: string | undefined): Promise<RunInfo> {
    if (!this.allowTrace)
      throw new SockscopeError('NOT_ALLOWED', 'this lab is served beyond loopback: tracing runs a command on this machine, so only `sockscope web` on loopback or the app offers it')
    const command = splitCommandLine(commandLine)
    const dir = cwd?.trim() || process.cwd()
    const isDir = await stat(dir).then((s) => s.isDirectory(), () => false)
    if (!isDir) throw new SockscopeError('BAD_OPTION', `the working directory ${dir} is not a directory here`)
    const startedAt = this.now()
    const traced = await this.lab.startTrace({ command, cwd: dir })
    const run: RunInfo = {
      id: traced.id,
      kind: 'server',
      pid: traced.pid ?? -1,
      state: 'running',
      spec: { model: 'traced', app: command.map((w) => (/\s/.test(w) ? JSON.stringify(w) : w)).join(' '), command, cwd: dir },
      host: traced.host,
      ports: [...traced.ports],
      startedAt,
      endedAt: null,
    }
    this.runs.set(run.id, run)
    this.broadcastRuns()
    return structuredClone(run)
  }

  /** A traced program's listen: its run's ports, as a server's are. */
  private noticeTracedListen(event: Extract<SockscopeEvent, { kind: 'listen' }>): void {
    const run = this.runs.get(event.src.run)
    if (!run || run.spec.model !== 'traced' || run.pid !== event.src.pid || run.ports?.includes(event.port)) return
    this.update(run, { ports: [...(run.ports ?? []), event.port], host: event.host })
  }

  /** A traced program that ended by itself. */
  private noticeTracedExit(event: Extract<SockscopeEvent, { kind: 'exit' }>): void {
    const run = this.runs.get(event.src.run)
    if (!run || run.spec.model !== 'traced' || run.pid !== event.childPid || !isLive(run) || run.state === 'stopping') return
    this.update(run, { state: 'finished', endedAt: this.now() })
  }

  private async stopServer(id: string): Promise<null> {
    const run = this.known(id, 'server')
    if (!isLive(run)) return null
    this.update(run, { state: 'stopping' })
    try {
      if (run.spec.model === 'traced') await this.lab.stopTrace(id)
      else await this.lab.stopServer(id)
    } catch (err) {
      // Already gone (it crashed, or another session stopped it): stopped all the same.
      if (!(err instanceof SockscopeError && err.code === 'NOT_RUNNING')) throw err
    }
    this.flush()
    this.update(run, { state: 'stopped', endedAt: this.now() })
    return null
  }

  private async runClients(params: Record<string, unknown>, options: { held?: boolean } = {}): Promise<RunInfo> {
    return (await this.startClients(params, options)).run
  }

  /** A workload listed as a run, and its clients' results (what a lesson's scenario waits for). */
  private async startClients(params: Record<string, unknown>, options: { held?: boolean } = {}): Promise<{ run: RunInfo; results: Promise<ClientResult[]> }> {
    const startedAt = this.now()
    this.targets.check(params.host, 'client workload')
    const clients = await this.lab.runClients(params as unknown as ClientSpecInput, options)
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
    return { run: structuredClone(run), results: clients.results }
  }

  /** compare/run.ts's start, with every run listed here as the forms' own are. */
  private async startCompare(params: Record<string, unknown>): Promise<CompareStarted> {
    const spec = parseCompareSpec(params)
    const pairs = await startCompare(
      {
        startServer: (s, options) => this.startServer(s as Record<string, unknown>, options),
        runClients: (s, options) => this.runClients(s as Record<string, unknown>, options),
        releaseClients: (id) => this.lab.releaseClients(id),
        stopServer: (id) => this.stopServer(id),
        stopClients: (id) => this.stopClients(id),
      },
      spec,
    )
    return { pairs: pairs.map(({ model, server, clients }) => ({ model, server, clients })) }
  }

  /**
   * lessons/runner.ts's runScenario on this lab, its runs listed as the forms' own are,
   * followed by every page in `lessons` messages. Answers once it has started; the
   * lesson's servers are stopped when it is over, and whatever it started is stopped if
   * it fails, so a failed lesson leaves nothing running.
   */
  private runLesson(id: string): LessonRun {
    const lesson = findLesson(id)
    const running = this.lessons.find((l) => l.state === 'running')
    if (running) throw new SockscopeError('LIMIT_REACHED', `one lesson at a time: ${running.lesson} is still running; wait for it to finish`)
    const entry: LessonRun = { t: this.now(), lesson: lesson.id, runs: { servers: {}, clients: {} }, state: 'running', problems: [] }
    this.lessons = [...this.lessons, entry].slice(-MAX_SESSION_LESSONS)
    this.broadcastLessons()
    const started: RunInfo[] = []
    /** Every start asked for, settled or not: a failure stops what the others started, even those that finish starting after it. */
    const starts: Promise<unknown>[] = []
    const track = <T extends { run: RunInfo }>(start: Promise<T>): Promise<T> => {
      starts.push(start)
      return start.then((s) => (started.push(s.run), s))
    }
    const lab = {
      startServer: async (spec: ServerSpecInput) => {
        const { run } = await track(this.startServer(spec as Record<string, unknown>).then((run) => ({ run })))
        return { id: run.id, ports: run.ports ?? [] }
      },
      runClients: async (spec: ClientSpecInput) => {
        const { run, results } = await track(this.startClients(spec as Record<string, unknown>))
        return { id: run.id, results }
      },
      stopClients: (clientsId: string) => this.stopClients(clientsId).then(() => undefined),
      onEvents: (listener: (batch: readonly SockscopeEvent[]) => void) => this.lab.onEvents(listener),
    }
    const onRuns = (runs: LessonRun['runs']) => {
      entry.runs = { servers: { ...runs.servers }, clients: { ...runs.clients } }
      this.broadcastLessons()
    }
    void runScenario(lesson, lab, { onRuns }).then(
      async (run) => {
        await Promise.all(started.filter((r) => r.kind === 'server').map((r) => this.stopServer(r.id).catch(() => null)))
        Object.assign(entry, { state: 'finished', problems: run.problems })
        this.broadcastLessons()
      },
      async (err) => {
        await Promise.allSettled(starts)
        await Promise.all(started.map((r) => (r.kind === 'server' ? this.stopServer(r.id) : this.stopClients(r.id)).catch(() => null)))
        const error = toErrorInfo(err)
        Object.assign(entry, { state: 'failed', error: { code: error.code, message: forPeople(error.message) } })
        this.broadcastLessons()
      },
    )
    return structuredClone(entry)
  }

  private broadcastLessons(): void {
    this.broadcast({ type: 'lessons', lessons: this.lessons.map((l) => structuredClone(l)) })
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
      if (event.kind === 'listen') this.noticeTracedListen(event)
      if (event.kind === 'exit') this.noticeTracedExit(event)
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
    // Trim in steps of an eighth, not on every flush: a copy of a million events per frame would be the lab's whole time.
    if (this.history.length > this.historyLimit + Math.ceil(this.historyLimit / 8)) {
      const drop = this.history.length - this.historyLimit
      this.history = this.history.slice(drop)
      this.historyBase += drop
      this.trimmed += drop
    }
    const now = this.now()
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_MESSAGE) this.broadcast({ type: 'events', now, events: events.slice(i, i + MAX_EVENTS_PER_MESSAGE) })
  }

  private broadcastRuns(): void {
    this.broadcast({ type: 'runs', now: this.now(), runs: this.listRuns() })
  }

  /** Events go to live sessions only: one still replaying gets them from the history, in order. */
  private broadcast(message: HostMessage): void {
    for (const member of this.sessions) if (member.live || message.type !== 'events') member.send(message)
  }
}

const kindName: Record<RunInfo['kind'], string> = { server: 'server', clients: 'client workload', observed: 'observed process' }

function isLive(run: RunInfo): boolean {
  return run.state === 'starting' || run.state === 'running' || run.state === 'stopping'
}
