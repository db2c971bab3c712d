import { type Clock, createClock } from '../clock.ts'
import { type ErrorInfo, toErrorInfo } from '../errors.ts'
import type { EventSource, OsSocket, ProcEvent, SocketsEvent } from '../events.ts'
import { createProcessSource } from './platform.ts'
import type { ProcessInfo, ProcessSource } from './types.ts'

export type OsEvent = ProcEvent | SocketsEvent

/** A process to watch with its descendants; `run` labels their events (default `os-<pid>`). */
export interface SamplerRoot {
  pid: number
  run?: string
}

/** One reading of the watched trees. */
export interface ProcessSnapshot {
  /** µs on the sampler's clock when the reading began (the `t` of its events). */
  t: number
  /** ms since the epoch, for people. */
  at: number
  source: string
  /** Roots, then descendants depth first; cpuPercent filled in. */
  processes: ProcessInfo[]
  /** Wall time the reading took (ms): the sampler's own cost. */
  sampleMs: number
}

export interface ProcessSamplerOptions {
  roots?: Iterable<number | SamplerRoot>
  /** Time between the start of one sample and the next (ms); default 250, at least 20. */
  intervalMs?: number
  /**
   * Report CPU % and memory that moved (by 1 point, or 2 %) as `usage` events, at most this
   * often per process (ms); 0 for never. Default 1000.
   */
  usageEveryMs?: number
  /**
   * Also read each process's TCP socket table and emit `sockets` events. `'queued'`: only
   * the sockets where the kernel holds a backlog (QUEUED_BYTES or more unsent or unread,
   * as a stalled peer leaves them), so that a busy server's every connection is not
   * reported at every sample. Default false.
   */
  sockets?: boolean | 'queued'
  /** Timestamps events; pass the lab's so they merge with the servers' events. */
  clock?: Clock
  /** Every sample's changes, in one batch (not called for a sample without changes). */
  onEvents?: (events: OsEvent[]) => void
  /** Every sample's full table (live CPU and memory, which are not events). */
  onSample?: (snapshot: ProcessSnapshot) => void
  /** A sample failed; sampling goes on. */
  onError?: (error: ErrorInfo) => void
  source?: ProcessSource
}

export type SamplerState = 'stopped' | 'running'

/**
 * A backlog worth reporting: more than a few round trips' worth of bytes, the mark of a
 * peer that does not read (or a server that does not), not of ordinary traffic in flight.
 */
export const QUEUED_BYTES = 16 * 1024

const isBacklogged = (s: OsSocket) => s.state !== 'LISTEN' && ((s.txQueue ?? 0) >= QUEUED_BYTES || (s.rxQueue ?? 0) >= QUEUED_BYTES)

/**
 * Watches the process trees under a set of root pids, several times a second, and turns
 * what changed into `proc` events (appeared, changed, gone) and, with sockets on,
 * `sockets` events. A process that leaves its tree while alive (orphaned, reparented to
 * init) stays watched until it is gone. start() and stop() are idempotent; a stopped
 * sampler can start again and continues from its last reading.
 */
export class ProcessSampler {
  readonly clock: Clock
  readonly intervalMs: number
  readonly sockets: boolean | 'queued'
  private readonly source: ProcessSource
  private readonly options: ProcessSamplerOptions
  /** Root pid → its run, and its start time once seen (a reused pid is not the root). */
  private readonly roots = new Map<number, { run: string; startTime: number | null | undefined }>()
  /** The last reading, by pid, and which root each process came from. */
  private previous = new Map<number, ProcessInfo>()
  private previousT: number | undefined
  private readonly rootOf = new Map<number, number>()
  /** What the last event said of each process's CPU and memory, and when (µs). */
  private readonly reportedUsage = new Map<number, { t: number; cpuPercent: number | null; rssBytes: number | null }>()
  private queue: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  /** Bumped by start(): a loop from before a stop() + start() must not go on beside the new one. */
  private generation = 0
  private _state: SamplerState = 'stopped'
  private _latest: ProcessSnapshot | undefined

  constructor(options: ProcessSamplerOptions = {}) {
    this.options = options
    this.clock = options.clock ?? createClock()
    this.intervalMs = Math.max(20, options.intervalMs ?? 250)
    this.sockets = options.sockets ?? false
    this.source = options.source ?? createProcessSource()
    for (const root of options.roots ?? []) typeof root === 'number' ? this.addRoot(root) : this.addRoot(root.pid, root.run)
  }

  get state(): SamplerState {
    return this._state
  }

  get latest(): ProcessSnapshot | undefined {
    return this._latest
  }

  get description(): string {
    return this.source.description
  }

  /** Watch `pid` and its descendants from the next sample on. */
  addRoot(pid: number, run = `os-${pid}`): void {
    if (!this.roots.has(pid)) this.roots.set(pid, { run, startTime: undefined })
  }

  /** Stop watching a root's tree; its processes leave the table without `gone` events. */
  removeRoot(pid: number): void {
    this.roots.delete(pid)
    for (const [child, root] of this.rootOf) {
      if (root !== pid) continue
      this.rootOf.delete(child)
      this.previous.delete(child)
      this.reportedUsage.delete(child)
    }
  }

  start(): this {
    if (this._state === 'running') return this
    this._state = 'running'
    this.tick(++this.generation)
    return this
  }

  /** Stop sampling; resolves once a sample in progress has finished. */
  async stop(): Promise<void> {
    this._state = 'stopped'
    clearTimeout(this.timer)
    this.timer = undefined
    await this.queue
  }

  /** Take one sample now (in turn with the timer's), emit its changes, and return it. */
  sample(): Promise<ProcessSnapshot> {
    const next = this.queue.then(() => this.sampleOnce())
    this.queue = next.catch(() => undefined)
    return next
  }

  private tick(generation: number): void {
    const began = performance.now()
    this.sample()
      .catch((err) => this.options.onError?.(toErrorInfo(err)))
      .finally(() => {
        if (this._state !== 'running' || generation !== this.generation) return
        this.timer = setTimeout(() => this.tick(generation), Math.max(0, this.intervalMs - (performance.now() - began)))
      })
  }

  private async sampleOnce(): Promise<ProcessSnapshot> {
    const t = this.clock.nowUs()
    const at = Date.now()
    const began = performance.now()
    const fresh: number[] = []
    const extra = new Map<number, number | null>()
    for (const [pid, root] of this.roots) {
      if (root.startTime === undefined) fresh.push(pid)
      else extra.set(pid, root.startTime)
    }
    for (const [pid, info] of this.previous) if (!extra.has(pid)) extra.set(pid, info.startTime)
    const processes = await this.source.read(fresh, extra, { sockets: this.sockets !== false })
    if (this.sockets === 'queued') for (const info of processes) if (info.sockets) info.sockets = info.sockets.filter(isBacklogged)
    const sampleMs = performance.now() - began
    fillCpuPercent(processes, this.previous, this.previousT === undefined ? null : (t - this.previousT) / 1000, at)

    const present = new Set<number>()
    for (const info of processes) {
      present.add(info.pid)
      const root = this.roots.get(info.pid)
      if (root && root.startTime === undefined) root.startTime = info.startTime
      const before = this.previous.get(info.pid)
      if (root && root.startTime === info.startTime) this.rootOf.set(info.pid, info.pid)
      // Depth first: a new process's parent was met, and given its root, before it.
      // A known process keeps its root when it is orphaned.
      else if (!before || before.startTime !== info.startTime) this.rootOf.set(info.pid, this.rootOf.get(info.ppid) ?? info.ppid)
    }
    const changes = diffProcesses(this.previous, processes)
    const events = this.toEvents([...changes, ...this.usageChanges(changes, processes, t)], t)
    for (const pid of this.rootOf.keys()) if (!present.has(pid)) this.rootOf.delete(pid)

    this.previous = new Map(processes.map((p) => [p.pid, p]))
    this.previousT = t
    const snapshot: ProcessSnapshot = { t, at, source: this.source.description, processes, sampleMs }
    this._latest = snapshot
    if (events.length) this.options.onEvents?.(events)
    this.options.onSample?.(snapshot)
    return snapshot
  }

  /** Processes whose CPU or memory moved since their last event, if that was long enough ago. */
  private usageChanges(changes: readonly ProcChange[], processes: readonly ProcessInfo[], t: number): ProcChange[] {
    const everyUs = (this.options.usageEveryMs ?? 1000) * 1000
    for (const change of changes) {
      if (change.kind === 'gone') this.reportedUsage.delete(change.info.pid)
      else if (change.kind !== 'sockets') this.reportedUsage.set(change.info.pid, { t, cpuPercent: change.info.cpuPercent, rssBytes: change.info.rssBytes })
    }
    if (everyUs <= 0) return []
    const usage: ProcChange[] = []
    for (const info of processes) {
      const last = this.reportedUsage.get(info.pid)
      if (!last || t - last.t < everyUs || info.state === 'Z') continue
      const cpuMoved = info.cpuPercent !== null && Math.abs(info.cpuPercent - (last.cpuPercent ?? 0)) >= 1
      const rssMoved = info.rssBytes !== null && Math.abs(info.rssBytes - (last.rssBytes ?? 0)) >= 0.02 * (last.rssBytes ?? 0)
      if (!cpuMoved && !rssMoved) continue
      usage.push({ kind: 'usage', info })
      this.reportedUsage.set(info.pid, { t, cpuPercent: info.cpuPercent, rssBytes: info.rssBytes })
    }
    return usage
  }

  private toEvents(changes: ProcChange[], t: number): OsEvent[] {
    const events: OsEvent[] = []
    for (const change of changes) {
      const rootPid = this.rootOf.get(change.info.pid)
      const run = (rootPid !== undefined && this.roots.get(rootPid)?.run) || `os-${rootPid ?? change.info.pid}`
      const src: EventSource = { role: 'os', run, pid: process.pid, tid: 0 }
      if (change.kind === 'sockets') {
        events.push({ kind: 'sockets', t, src, pid: change.info.pid, sockets: change.info.sockets ?? null })
        continue
      }
      const p = change.info
      events.push({
        kind: 'proc',
        t,
        src,
        change: change.kind,
        pid: p.pid,
        ppid: p.ppid,
        state: p.state,
        threads: p.threads,
        command: p.command,
        name: p.name,
        threadIds: p.threadIds,
        cpuMs: p.cpuMs,
        cpuPercent: p.cpuPercent,
        rssBytes: p.rssBytes,
        startTime: p.startTime,
      })
    }
    return events
  }
}

export interface ProcChange {
  kind: 'appeared' | 'changed' | 'gone' | 'usage' | 'sockets'
  info: ProcessInfo
}

/**
 * What differs between two readings: processes that appeared, changed what a person
 * watches (state, parent, threads, command) or are gone, and socket tables that changed.
 * CPU time and memory change at every sample and are not changes here. A pid whose start
 * time differs is another process: the old one is gone and the new one appeared.
 */
export function diffProcesses(previous: ReadonlyMap<number, ProcessInfo>, next: readonly ProcessInfo[]): ProcChange[] {
  const changes: ProcChange[] = []
  const present = new Set<number>()
  for (const info of next) {
    present.add(info.pid)
    let before = previous.get(info.pid)
    if (before && before.startTime !== info.startTime) {
      changes.push({ kind: 'gone', info: before })
      before = undefined
    }
    if (!before) {
      changes.push({ kind: 'appeared', info })
      if (info.sockets === null || info.sockets?.length) changes.push({ kind: 'sockets', info })
      continue
    }
    if (
      before.state !== info.state ||
      before.ppid !== info.ppid ||
      before.threads !== info.threads ||
      before.command !== info.command ||
      !sameIds(before.threadIds, info.threadIds)
    )
      changes.push({ kind: 'changed', info })
    if (info.sockets !== undefined && JSON.stringify(before.sockets ?? []) !== JSON.stringify(info.sockets ?? []))
      changes.push({ kind: 'sockets', info })
  }
  for (const [pid, info] of previous) if (!present.has(pid)) changes.push({ kind: 'gone', info })
  return changes
}

/**
 * CPU % of one core: over the `sinceMs` since the previous reading for a process it had,
 * else over the process's life (as ps does), since one reading has no interval of its own.
 */
export function fillCpuPercent(next: ProcessInfo[], previous: ReadonlyMap<number, ProcessInfo>, sinceMs: number | null, at: number): void {
  for (const info of next) {
    if (info.cpuMs === null) continue
    const before = previous.get(info.pid)
    let used: number
    let elapsed: number
    if (sinceMs !== null && sinceMs > 0 && before && before.cpuMs !== null && before.startTime === info.startTime) {
      used = info.cpuMs - before.cpuMs
      elapsed = sinceMs
    } else if (info.startTime !== null) {
      used = info.cpuMs
      elapsed = at - info.startTime
    } else continue
    info.cpuPercent = elapsed > 0 ? Math.round((1000 * Math.max(0, used)) / elapsed) / 10 : 0
  }
}

function sameIds(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (a === null || b === null) return a === b
  return a.length === b.length && a.every((id, i) => id === b[i])
}
