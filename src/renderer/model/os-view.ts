import type { OsSocket, ProcEvent, SocketsEvent } from '../../servers/events.ts'
import { blankProcessTrack, type Mark, type Phase, type ProcessTrack } from './derive.ts'

/**
 * The OS's own view of processes, from the sampler's `proc` and `sockets` events: what the
 * kernel lists (state letter, threads, CPU, memory, TCP sockets), as opposed to what the
 * servers say about themselves. Pure data and functions; TraceModel keeps one OsTable.
 */

/** One process as the sampler has reported it so far. */
export interface OsProcess {
  pid: number
  /** The run whose tree it is in (`s1`, `c2`, `o3`). */
  run: string
  ppid: number
  /** The latest reading. A `gone` event repeats the last reading before the process went. */
  latest: ProcEvent
  /** Lab time (µs) the sampler first listed it. */
  firstT: number
  /** Lab time it was first seen in state Z (exited, not yet reaped). */
  zombieT: number | null
  /** Lab time the kernel stopped listing it (reaped, by its parent or by init). */
  goneT: number | null
}

export const isGone = (p: OsProcess) => p.goneT !== null

/** The kernel's state letters, as `ps` documents them. */
export const STATE_LETTERS: Record<string, string> = {
  R: 'running or runnable (on a CPU or waiting for one)',
  S: 'sleeping: waiting for an event (accept, recv, a timer…)',
  D: 'uninterruptible wait (usually disk I/O)',
  Z: 'zombie: exited, its exit status not yet collected by its parent (wait)',
  T: 'stopped by a signal (SIGSTOP, Ctrl-Z)',
  t: 'stopped by a debugger',
  I: 'idle kernel thread',
  X: 'dead (about to disappear)',
  '?': 'the platform does not say',
}

/** The tooltip for one state letter, with the legend of all of them. */
export function letterTitle(letter: string | null): string {
  const all = Object.entries(STATE_LETTERS)
    .filter(([l]) => l !== '?')
    .map(([l, what]) => `${l}  ${what}`)
    .join('\n')
  const own = letter && STATE_LETTERS[letter] ? `${letter}: ${STATE_LETTERS[letter]}\n\n` : ''
  return `${own}The kernel's state letters (ps, /proc/<pid>/stat):\n${all}`
}

/**
 * Every process and socket table the sampler reported, latest reading first. A pid that
 * appears again with another start time is another process: it replaces the old entry.
 */
export class OsTable {
  readonly procs = new Map<number, OsProcess>()
  readonly sockets = new Map<number, SocketsEvent>()
  version = 0

  apply(e: ProcEvent | SocketsEvent): void {
    this.version++
    if (e.kind === 'sockets') {
      const known = this.sockets.get(e.pid)
      if (!known || known.t <= e.t) this.sockets.set(e.pid, e)
      return
    }
    let p = this.procs.get(e.pid)
    const another = p && e.change === 'appeared' && (p.goneT !== null || (e.startTime != null && p.latest.startTime != null && e.startTime !== p.latest.startTime))
    if (!p || another) {
      p = { pid: e.pid, run: e.src.run, ppid: e.ppid, latest: e, firstT: e.t, zombieT: null, goneT: null }
      this.procs.set(e.pid, p)
      if (another) this.sockets.delete(e.pid)
    } else if (e.t < p.latest.t) {
      // Out of order (batches from one sampler arrive in order; this is a replay's overlap).
      return
    } else {
      p.latest = e
      p.ppid = e.ppid
    }
    if (e.state === 'Z') p.zombieT ??= e.t
    if (e.change === 'gone') {
      p.goneT ??= e.t
      this.sockets.delete(e.pid)
    }
  }

  get(pid: number): OsProcess | undefined {
    return this.procs.get(pid)
  }

  /** Processes in one run's tree (gone ones included), in order of first sighting. */
  ofRun(run: string): OsProcess[] {
    return [...this.procs.values()].filter((p) => p.run === run).sort((a, b) => a.firstT - b.firstT || a.pid - b.pid)
  }

  get size(): number {
    return this.procs.size
  }

  /** Forget everything (a new connection: the host replays its history). */
  clear(): void {
    this.procs.clear()
    this.sockets.clear()
    this.version++
  }

  /**
   * A cleared timeline: forget the processes that are gone, keep the ones the kernel still
   * lists, since the sampler reports only changes and would not list them again.
   */
  prune(): void {
    for (const [pid, p] of this.procs) if (p.goneT !== null) this.procs.delete(pid)
    for (const pid of this.sockets.keys()) if (!this.procs.has(pid)) this.sockets.delete(pid)
    this.version++
  }
}

/** Fold events into a table (for tests and for one-off views). */
export function osTableOf(events: readonly (ProcEvent | SocketsEvent)[]): OsTable {
  const table = new OsTable()
  for (const e of [...events].sort((a, b) => a.t - b.t)) table.apply(e)
  return table
}

/**
 * A process known from the OS alone as a timeline track: alive from its first sighting,
 * a zombie from the sample that first saw it in Z, until the kernel stopped listing it.
 * Times are the samples' (a few hundred ms apart), not the instants themselves. No event
 * stands behind these phases and marks: their seq is -1.
 */
export function osProcessTrack(p: OsProcess): ProcessTrack {
  const phases: Phase[] = []
  const marks: Mark[] = []
  const end = p.zombieT ?? p.goneT
  if (end === null || end > p.firstT) phases.push({ kind: 'alive', start: p.firstT, end, seq: -1 })
  if (p.zombieT !== null) {
    phases.push({ kind: 'zombie', start: p.zombieT, end: p.goneT, seq: -1 })
    marks.push({ kind: 'exit', t: p.zombieT, side: 'server', bytes: 0, seq: -1 })
  }
  if (p.goneT !== null) marks.push({ kind: p.zombieT !== null ? 'reap' : 'exit', t: p.goneT, side: 'server', bytes: 0, seq: -1 })
  return {
    ...blankProcessTrack(p.pid),
    ppid: p.ppid,
    run: p.run,
    startT: p.firstT,
    lastT: p.goneT ?? p.latest.t,
    exitT: p.zombieT ?? p.goneT,
    reapT: p.zombieT !== null ? p.goneT : null,
    phases,
    marks,
    os: p.latest,
  }
}

/** What a cell of the OS column group shows for one process. */
export interface OsCell {
  /** The state letter, or null once the kernel no longer lists the process. */
  letter: string | null
  gone: boolean
  threads: number | null
  cpuPercent: number | null
  rssBytes: number | null
}

export function osCell(p: OsProcess | null | undefined): OsCell | null {
  if (!p) return null
  const gone = p.goneT !== null
  return {
    letter: gone ? null : p.latest.state,
    gone,
    threads: gone ? null : p.latest.threads,
    cpuPercent: gone ? null : (p.latest.cpuPercent ?? null),
    rssBytes: gone ? null : (p.latest.rssBytes ?? null),
  }
}

/** `48.2 MB`, `812 kB`: resident memory for a table cell. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return ''
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`
  if (bytes >= 1e7) return `${(bytes / 1e6).toFixed(0)} MB`
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`
  return `${bytes} B`
}

/** `12%`, `0.4%`, `0%`. */
export function formatCpu(percent: number | null | undefined): string {
  if (percent == null) return ''
  if (percent === 0) return '0%'
  if (percent < 10) return `${percent.toFixed(1)}%`
  return `${percent.toFixed(0)}%`
}

/** A start time as `ps -f`'s STIME would show it, to the second: `21:58:39`. */
export function formatStartTime(epochMs: number | null | undefined): string {
  if (epochMs == null) return ''
  const d = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}

// ——— Sockets ———

export interface SocketRow {
  key: string
  pid: number
  /** The process's command, to tell a parent's socket from a child's. */
  command: string
  fd: number | null
  state: string
  local: string
  remote: string
  rxQueue: number | null
  txQueue: number | null
  /** LISTEN only: connections the kernel completed that wait for accept(). */
  acceptQueue: number | null
}

export interface SocketsView {
  rows: SocketRow[]
  /** Pids whose table could not be read (another user's process). */
  unreadable: number[]
}

const STATE_ORDER = ['LISTEN', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'FIN_WAIT1', 'FIN_WAIT2', 'LAST_ACK', 'CLOSING', 'TIME_WAIT']
const stateRank = (s: string) => {
  const i = STATE_ORDER.indexOf(s)
  return i < 0 ? STATE_ORDER.length : i
}

/**
 * The TCP sockets of the processes of one tree, like `ss -tnp`: each process's latest
 * table, listening sockets first, then by process (the tree's order) and local address.
 */
export function socketRows(procs: readonly OsProcess[], sockets: ReadonlyMap<number, SocketsEvent>): SocketsView {
  const rows: SocketRow[] = []
  const unreadable: number[] = []
  const order = new Map(procs.map((p, i) => [p.pid, i]))
  for (const p of procs) {
    if (p.goneT !== null) continue
    const table = sockets.get(p.pid)
    if (!table) continue
    if (table.sockets === null) {
      unreadable.push(p.pid)
      continue
    }
    table.sockets.forEach((s: OsSocket, i) => {
      const listen = s.state === 'LISTEN'
      rows.push({
        key: `${p.pid}:${s.fd ?? `#${i}`}:${s.local}>${s.remote}`,
        pid: p.pid,
        command: p.latest.command,
        fd: s.fd,
        state: s.state,
        local: s.local,
        remote: listen ? peerWildcard(s.remote) : s.remote,
        rxQueue: s.rxQueue,
        txQueue: s.txQueue,
        acceptQueue: listen ? (s.acceptQueue ?? s.rxQueue) : null,
      })
    })
  }
  rows.sort((a, b) => stateRank(a.state) - stateRank(b.state) || (order.get(a.pid) ?? 0) - (order.get(b.pid) ?? 0) || a.local.localeCompare(b.local))
  return { rows, unreadable }
}

/** A listening socket has no peer: `0.0.0.0:0` reads better as `*:*`, as ss prints it. */
function peerWildcard(remote: string): string {
  return /^(0\.0\.0\.0|\[::\]|::):0$/.test(remote) ? '*:*' : remote
}

/** `127.0.0.1:8080` → 8080; `[::1]:80` → 80. */
export function portOf(address: string): number | null {
  const m = /:(\d+)$/.exec(address)
  return m ? Number(m[1]) : null
}

/** `127.0.0.1:8080` → `127.0.0.1`; `[::1]:80` → `::1`. */
export function hostOf(address: string): string {
  const i = address.lastIndexOf(':')
  const host = i < 0 ? address : address.slice(0, i)
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

/** Where a client on this machine reaches a listening address: a wildcard becomes loopback. */
export function connectHost(local: string): string {
  return reachableHost(hostOf(local))
}

/** A bound address as a client on this machine dials it: a wildcard becomes loopback. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '*' || host === '') return '127.0.0.1'
  if (host === '::') return '::1'
  return host
}

/** The TCP ports a tree listens on (its latest tables), in order, with the address to connect to. */
export function listeningPorts(procs: readonly OsProcess[], sockets: ReadonlyMap<number, SocketsEvent>): { host: string; port: number }[] {
  const seen = new Map<number, { host: string; port: number }>()
  for (const p of procs) {
    if (p.goneT !== null) continue
    for (const s of sockets.get(p.pid)?.sockets ?? []) {
      if (s.state !== 'LISTEN') continue
      const port = portOf(s.local)
      if (port !== null && !seen.has(port)) seen.set(port, { host: connectHost(s.local), port })
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port)
}
