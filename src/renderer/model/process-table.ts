import type { BlockReason, SocketsEvent } from '../../servers/events.ts'
import type { RunInfo } from '../../servers/web/protocol.ts'
import type { ProcessTrack, ThreadTrack } from './derive.ts'
import { listeningPorts, type OsProcess, type SocketsView, socketRows } from './os-view.ts'

/** `os`: a process the kernel lists in a run's tree that no event speaks of; `observed`: a
 *  process of an observed run (known from the OS alone). */
export type ProcessKind = 'lab' | 'server' | 'child' | 'thread' | 'client' | 'os' | 'observed'
export type ProcessState = 'running' | 'sleeping' | 'zombie' | 'reaped' | 'exited'

/** One row of the process table, like a line of `ps -f` (threads as indented rows, like `ps -L`). */
export interface ProcessRow {
  key: string
  kind: ProcessKind
  pid: number
  ppid: number | null
  tid: number | null
  state: ProcessState
  /** What it sleeps on, why it is a zombie, how it ended. */
  detail: string
  /** Lab time (µs) it started, where known. */
  startT: number | null
  role: string
  /** Threads in the process (main thread included); null for thread rows. */
  threads: number | null
  run: string | null
  connKey: string | null
  /** The timeline lane this row links to. */
  laneKey: string | null
  depth: number
  /** The OS sampler's view (state letter, threads, CPU, memory), when it has one. */
  os: OsProcess | null
  /** Where the model's view and the OS's differ (a modelled zombie the kernel no longer lists…). */
  osDiff: OsDiff | null
  /** The OS's reading predates the end the model has seen: the next sample will tell. */
  osStale: boolean
}

/** What the process table needs of the OS's view (an OsTable). */
export interface OsLookup {
  get(pid: number): OsProcess | undefined
  ofRun(run: string): OsProcess[]
}

export interface ProcessTableInput {
  labPid: number | null
  host: 'web' | 'electron' | null
  runs: readonly RunInfo[]
  processes: readonly ProcessTrack[]
  threads: readonly ThreadTrack[]
  connIndex: ReadonlyMap<string, number>
  /** The OS sampler's view; without it, rows have no OS columns. */
  os?: OsLookup
}

const blockedDetail = (on: BlockReason | null) => (on ? `on ${on}` : '')
const isLiveRun = (run: RunInfo) => run.state === 'running' || run.state === 'starting' || run.state === 'stopping'

/**
 * The live process table, derived from the event stream (fork / exit / reap, thread
 * start / end, block / unblock) and the lab's list of runs, with the OS sampler's view of
 * each process beside it (`os`), a marker where the two differ (`osDiff`), and the
 * processes the kernel lists in a run's tree that no event speaks of (kind `os`).
 */
export function processRows(input: ProcessTableInput): ProcessRow[] {
  const rows: ProcessRow[] = []
  const byPid = new Map(input.processes.map((p) => [p.pid, p]))
  // The OS entry for a pid, if it is the same run's (a pid can be reused by a later process).
  const osOf = (pid: number, run: string | null): OsProcess | null => {
    const p = input.os?.get(pid)
    return p && (run === null || p.run === run) ? p : null
  }
  /** `endT`: when the model saw the process end (lab µs), for a reading that predates it. */
  const push = (row: Omit<ProcessRow, 'osDiff' | 'osStale'>, policy: string | null = null, endT: number | null = null) => {
    const osStale = isStale(row.os, endT)
    rows.push({ ...row, osDiff: osStale ? null : compareWithOs(row, row.os, policy), osStale })
  }
  if (input.labPid !== null) {
    push({
      key: `lab:${input.labPid}`,
      kind: 'lab',
      pid: input.labPid,
      ppid: null,
      tid: null,
      state: 'running',
      detail: '',
      startT: null,
      role: input.host === 'electron' ? 'lab (Electron main)' : 'lab (web host)',
      threads: null,
      run: null,
      connKey: null,
      laneKey: null,
      depth: 0,
      os: null,
    })
  }
  const label = (conn: string | null) => (conn && input.connIndex.has(conn) ? `#${input.connIndex.get(conn)}` : conn ?? '?')

  const servers = input.runs.filter((r) => r.kind === 'server').sort((a, b) => a.startedAt - b.startedAt)
  for (const run of servers) {
    const proc = byPid.get(run.pid)
    const live = isLiveRun(run)
    const state: ProcessState = !live ? 'exited' : proc?.blockedOn ? 'sleeping' : 'running'
    const detail = !live ? (run.state === 'crashed' ? 'crashed' : 'stopped') : run.state === 'stopping' ? 'stopping' : blockedDetail(proc?.blockedOn ?? null)
    push({
      key: `server:${run.id}`,
      kind: 'server',
      pid: run.pid,
      ppid: input.labPid,
      tid: null,
      state,
      detail,
      startT: proc?.startT ?? run.startedAt,
      role: `server ${run.id} · ${String(run.spec.model ?? '?')}${run.ports?.length ? ` :${run.ports.join(',')}` : ''}`,
      threads: live ? 1 + (proc?.liveThreads ?? 0) : 0,
      run: run.id,
      connKey: null,
      laneKey: `server:${run.id}`,
      depth: 1,
      os: osOf(run.pid, run.id),
    }, null, run.endedAt)
    const policy = typeof run.spec.reap === 'string' ? run.spec.reap : null
    const order = (conn: string | null) => (conn ? (input.connIndex.get(conn) ?? 1e9) : 1e9)
    const children = input.processes.filter((p) => p.role === 'child' && p.ppid === run.pid).sort((a, b) => order(a.conn) - order(b.conn) || (a.startT ?? 0) - (b.startT ?? 0))
    for (const child of children) {
      let state: ProcessState
      let detail = ''
      if (child.reapT !== null) {
        state = 'reaped'
        detail = child.reapTrigger ? `on ${child.reapTrigger}` : ''
      } else if (child.exitT !== null) {
        state = 'zombie'
        detail = `until reaped${policy ? ` (${policy})` : ''}`
      } else if (!live) {
        state = 'exited'
      } else if (child.firstOwnT === null) {
        state = 'running'
        detail = 'starting'
      } else if (child.blockedOn) {
        state = 'sleeping'
        detail = blockedDetail(child.blockedOn)
      } else state = 'running'
      push(
        {
          key: `proc:${child.pid}`,
          kind: 'child',
          pid: child.pid,
          ppid: run.pid,
          tid: null,
          state,
          detail,
          startT: child.startT,
          role: `child for ${label(child.conn)}`,
          threads: state === 'running' || state === 'sleeping' ? 1 : 0,
          run: run.id,
          connKey: child.conn,
          laneKey: `proc:${child.pid}`,
          depth: 2,
          os: osOf(child.pid, run.id),
        },
        policy,
        child.exitT ?? (live ? null : run.endedAt),
      )
    }
    for (const thread of input.threads.filter((t) => t.pid === run.pid).sort((a, b) => order(a.conn) - order(b.conn) || a.startT - b.startT)) {
      const ended = thread.endT !== null || !live
      push({
        key: `thread:${thread.key}`,
        kind: 'thread',
        pid: thread.pid,
        ppid: null,
        tid: thread.tid,
        state: ended ? 'exited' : thread.blockedOn ? 'sleeping' : 'running',
        detail: ended ? 'ended' : blockedDetail(thread.blockedOn),
        startT: thread.startT,
        role: `thread for ${label(thread.conn)}`,
        threads: null,
        run: run.id,
        connKey: thread.conn,
        laneKey: `thread:${thread.key}`,
        depth: 2,
        os: null,
      })
    }
    osOnlyRows(input, run, new Set([run.pid, ...children.map((c) => c.pid)]), push)
  }

  for (const run of input.runs.filter((r) => r.kind === 'clients').sort((a, b) => a.startedAt - b.startedAt)) {
    const live = isLiveRun(run)
    const count = typeof run.spec.count === 'number' ? ` ×${run.spec.count}` : ''
    const driver = byPid.get(run.pid)
    const outcome = run.outcome ? `${run.outcome.ok} ok${run.outcome.failed ? `, ${run.outcome.failed} failed` : ''}` : run.state
    push({
      key: `clients:${run.id}`,
      kind: 'client',
      pid: run.pid,
      ppid: input.labPid,
      tid: null,
      state: live ? 'running' : 'exited',
      detail: live ? '' : outcome,
      startT: driver?.startT ?? run.startedAt,
      role: `clients ${run.id} · ${String(run.spec.workload ?? '')}${count}`,
      threads: live ? 1 : 0,
      run: run.id,
      connKey: null,
      laneKey: `clients:${run.id}`,
      depth: 1,
      os: osOf(run.pid, run.id),
    }, null, run.endedAt)
    osOnlyRows(input, run, new Set([run.pid]), push)
  }
  return rows
}

/** Processes the kernel lists in a run's tree that no event speaks of, while they exist. */
function osOnlyRows(input: ProcessTableInput, run: RunInfo, known: ReadonlySet<number>, push: (row: Omit<ProcessRow, 'osDiff' | 'osStale'>) => void): void {
  for (const p of input.os?.ofRun(run.id) ?? []) {
    if (known.has(p.pid) || p.goneT !== null) continue
    push({
      key: `os:${run.id}:${p.pid}`,
      kind: 'os',
      pid: p.pid,
      ppid: p.ppid,
      tid: null,
      ...osState(p),
      startT: p.firstT,
      role: `OS only · ${p.latest.command}`,
      threads: p.latest.threads,
      run: run.id,
      connKey: null,
      laneKey: null,
      depth: 2,
      os: p,
    })
  }
}

/** The kernel listed it alive at its last reading, but that reading came before the end the model has seen. */
function isStale(os: OsProcess | null, endT: number | null): boolean {
  return os !== null && endT !== null && os.goneT === null && os.latest.state !== 'Z' && os.latest.t < endT
}

/** The table's state for a process known from the OS alone. */
export function osState(p: OsProcess): { state: ProcessState; detail: string } {
  if (p.goneT !== null) return p.zombieT !== null || p.latest.state === 'Z' ? { state: 'reaped', detail: 'gone: reaped' } : { state: 'exited', detail: 'gone' }
  switch (p.latest.state) {
    case 'Z':
      return { state: 'zombie', detail: 'exited, not reaped by its parent' }
    case 'R':
      return { state: 'running', detail: '' }
    case 'D':
      return { state: 'sleeping', detail: 'uninterruptible' }
    case 'T':
    case 't':
      return { state: 'sleeping', detail: 'stopped' }
    default:
      return { state: 'sleeping', detail: '' }
  }
}

/** Where the model's view of a process and the kernel's differ. */
export interface OsDiff {
  kind: 'modelled-zombie' | 'gone' | 'zombie' | 'alive'
  /** What the OS says, short, for the cell. */
  text: string
  /** Why they differ, for the tooltip. */
  why: string
}

/**
 * The model's view against the kernel's, for a row the events describe. Only lifecycle
 * differences count (alive, zombie, gone): a sleeping process the kernel saw running for a
 * moment is the same story. Notably the fork model's modelled zombie: the model keeps the
 * child a zombie until its reap policy would reap it, while Node reaped it at once.
 */
export function compareWithOs(row: Pick<ProcessRow, 'kind' | 'state' | 'pid'>, os: OsProcess | null, policy: string | null = null): OsDiff | null {
  if (!os || row.kind === 'thread' || row.kind === 'lab' || row.kind === 'os' || row.kind === 'observed') return null
  const gone = os.goneT !== null
  const zombie = !gone && os.latest.state === 'Z'
  const modelAlive = row.state === 'running' || row.state === 'sleeping'
  if (row.state === 'zombie') {
    if (!gone) return null
    return {
      kind: 'modelled-zombie',
      text: 'gone — Node reaped at once',
      why:
        `The model keeps pid ${row.pid} a zombie until its reap policy${policy ? ` (${policy})` : ''} would reap it: that interval is modelled. ` +
        `Node's runtime waits on SIGCHLD and reaped the child the moment it exited, so the kernel no longer lists it. ` +
        `For a real zombie, observe a server that does not wait() (a Python forking server, for instance).`,
    }
  }
  if (modelAlive && gone) return { kind: 'gone', text: 'gone', why: `The kernel no longer lists pid ${row.pid}; the events have not said that it ended (yet).` }
  if (zombie) return { kind: 'zombie', text: 'zombie — not reaped', why: `The kernel lists pid ${row.pid} as a zombie (Z): it exited, and its parent has not collected its exit status.` }
  if (!modelAlive && !gone) return { kind: 'alive', text: `still listed (${os.latest.state})`, why: `The model says pid ${row.pid} ended; the kernel still lists it, in state ${os.latest.state}.` }
  return null
}

/**
 * One sentence under the table when the model shows zombies the kernel no longer lists,
 * so a screencast explains itself without a hover. Null when there are none.
 */
export function modelledZombieNote(rows: readonly ProcessRow[]): string | null {
  const modelled = rows.filter((r) => r.osDiff?.kind === 'modelled-zombie')
  if (modelled.length === 0) return null
  const policies = [...new Set(modelled.map((r) => r.detail.match(/\(([^)]+)\)/)?.[1]).filter((p): p is string => !!p))]
  const policy = policies.length === 1 ? `reap=${policies[0]}` : 'the reap policy'
  const these = modelled.length === 1 ? 'this child' : `these ${modelled.length} children`
  return `Node's runtime reaped ${these} the moment they exited, so the kernel lists them no more; the zombie time shown is what ${policy} would leave. For real zombies, observe a server that does not wait().`
}

// ——— Observed runs: processes Sockscope did not start, known from the OS alone ———

export interface ObservedGroup {
  run: RunInfo
  /** The tree, like `ps -f --forest`: the observed process, then its descendants. */
  rows: ProcessRow[]
  /** Gone processes left out to keep the table short (the oldest). */
  hiddenGone: number
  sockets: SocketsView
  /** Where it listens (from its socket tables), for a client workload to target. */
  ports: { host: string; port: number }[]
  zombies: number
  alive: number
}

export interface ObservedOptions {
  /** At most this many gone processes per run (the most recent); default 12. */
  maxGone?: number
}

/** The observed runs to show: while they run, and ended ones until the timeline is cleared (`since`, its origin). */
export function shownObserved(runs: readonly RunInfo[], since: number): RunInfo[] {
  return runs.filter((r) => r.kind === 'observed' && (r.endedAt === null || r.endedAt >= since))
}

/** Each observed run's process tree and sockets, from the sampler's events alone. */
export function observedGroups(runs: readonly RunInfo[], os: OsLookup & { sockets: ReadonlyMap<number, SocketsEvent> }, options: ObservedOptions = {}): ObservedGroup[] {
  return runs
    .filter((r) => r.kind === 'observed')
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((run) => observedGroup(run, os.ofRun(run.id), os.sockets, options))
}

export function observedGroup(run: RunInfo, procs: readonly OsProcess[], sockets: ReadonlyMap<number, SocketsEvent>, options: ObservedOptions = {}): ObservedGroup {
  const maxGone = options.maxGone ?? 12
  const gone = procs.filter((p) => p.goneT !== null).sort((a, b) => b.goneT! - a.goneT!)
  const hidden = new Set(gone.slice(maxGone).filter((p) => p.pid !== run.pid).map((p) => p.pid))
  const shown = procs.filter((p) => !hidden.has(p.pid))
  const rows: ProcessRow[] = osTree(shown, run.pid).map(({ p, depth }) => ({
    key: `obs:${run.id}:${p.pid}:${p.firstT}`,
    kind: 'observed',
    pid: p.pid,
    ppid: p.ppid,
    tid: null,
    ...osState(p),
    startT: p.firstT,
    role: p.latest.command,
    threads: p.goneT === null ? p.latest.threads : null,
    run: run.id,
    connKey: null,
    laneKey: null,
    depth,
    os: p,
    osDiff: null,
    osStale: false,
  }))
  const live = procs.filter((p) => p.goneT === null)
  return {
    run,
    rows,
    hiddenGone: hidden.size,
    sockets: socketRows(osTree(live, run.pid).map((n) => n.p), sockets),
    ports: listeningPorts(live, sockets),
    zombies: live.filter((p) => p.latest.state === 'Z').length,
    alive: live.filter((p) => p.latest.state !== 'Z').length,
  }
}

/**
 * Processes as a tree by ppid, depth first, like `ps -f --forest`: the root first, then
 * every process whose parent is not in the set (orphans), each followed by its children
 * in order of start.
 */
export function osTree(procs: readonly OsProcess[], rootPid: number | null = null): { p: OsProcess; depth: number }[] {
  const byParent = new Map<number, OsProcess[]>()
  const pids = new Set(procs.map((p) => p.pid))
  const tops: OsProcess[] = []
  for (const p of procs) {
    if (p.pid !== rootPid && pids.has(p.ppid) && p.ppid !== p.pid) {
      const list = byParent.get(p.ppid) ?? []
      list.push(p)
      byParent.set(p.ppid, list)
    } else tops.push(p)
  }
  const byStart = (a: OsProcess, b: OsProcess) => (a.latest.startTime ?? 0) - (b.latest.startTime ?? 0) || a.firstT - b.firstT || a.pid - b.pid
  tops.sort((a, b) => (a.pid === rootPid ? -1 : b.pid === rootPid ? 1 : byStart(a, b)))
  const out: { p: OsProcess; depth: number }[] = []
  const seen = new Set<number>()
  const visit = (p: OsProcess, depth: number) => {
    if (seen.has(p.pid)) return
    seen.add(p.pid)
    out.push({ p, depth })
    for (const child of (byParent.get(p.pid) ?? []).sort(byStart)) visit(child, depth + 1)
  }
  for (const top of tops) visit(top, 0)
  // A cycle of ppids (a reused pid): list what is left rather than lose it.
  for (const p of procs) visit(p, 0)
  return out
}
