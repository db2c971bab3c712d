import type { BlockReason, ProcEvent } from '../../servers/events.ts'
import type { RunInfo } from '../../servers/web/protocol.ts'
import type { ProcessTrack, ThreadTrack } from './derive.ts'

export type ProcessKind = 'lab' | 'server' | 'child' | 'thread' | 'client'
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
  /** The OS sampler's view (state letter, threads…), when it runs. */
  os: ProcEvent | null
}

export interface ProcessTableInput {
  labPid: number | null
  host: 'web' | 'electron' | null
  runs: readonly RunInfo[]
  processes: readonly ProcessTrack[]
  threads: readonly ThreadTrack[]
  connIndex: ReadonlyMap<string, number>
}

const blockedDetail = (on: BlockReason | null) => (on ? `on ${on}` : '')

/**
 * The live process table, derived from the event stream (fork / exit / reap, thread
 * start / end, block / unblock) and the lab's list of runs. The OS sampler's `proc`
 * events, when present, ride along in `os` for an "OS view" beside the derived one.
 */
export function processRows(input: ProcessTableInput): ProcessRow[] {
  const rows: ProcessRow[] = []
  const byPid = new Map(input.processes.map((p) => [p.pid, p]))
  if (input.labPid !== null) {
    rows.push({
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
      os: byPid.get(input.labPid)?.os ?? null,
    })
  }
  const label = (conn: string | null) => (conn && input.connIndex.has(conn) ? `#${input.connIndex.get(conn)}` : conn ?? '?')

  const servers = input.runs.filter((r) => r.kind === 'server').sort((a, b) => a.startedAt - b.startedAt)
  for (const run of servers) {
    const proc = byPid.get(run.pid)
    const live = run.state === 'running' || run.state === 'starting' || run.state === 'stopping'
    const state: ProcessState = !live ? 'exited' : proc?.blockedOn ? 'sleeping' : 'running'
    const detail = !live ? (run.state === 'crashed' ? 'crashed' : 'stopped') : run.state === 'stopping' ? 'stopping' : blockedDetail(proc?.blockedOn ?? null)
    rows.push({
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
      os: proc?.os ?? null,
    })
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
      rows.push({
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
        os: child.os,
      })
    }
    for (const thread of input.threads.filter((t) => t.pid === run.pid).sort((a, b) => order(a.conn) - order(b.conn) || a.startT - b.startT)) {
      const ended = thread.endT !== null || !live
      rows.push({
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
  }

  for (const run of input.runs.filter((r) => r.kind === 'clients').sort((a, b) => a.startedAt - b.startedAt)) {
    const live = run.state === 'running' || run.state === 'starting' || run.state === 'stopping'
    const count = typeof run.spec.count === 'number' ? ` ×${run.spec.count}` : ''
    const driver = byPid.get(run.pid)
    const outcome = run.outcome ? `${run.outcome.ok} ok${run.outcome.failed ? `, ${run.outcome.failed} failed` : ''}` : run.state
    rows.push({
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
      os: driver?.os ?? null,
    })
  }
  return rows
}
