import fs from 'node:fs'
import os from 'node:os'
import type { OsSocket } from '../events.ts'
import {
  AT_CLKTCK,
  AT_PAGESZ,
  commandLine,
  type Endianness,
  endpoint,
  type NetTcpRow,
  parseAuxv,
  parseBootTime,
  parseChildren,
  parseCmdline,
  parseNetTcp,
  parseSocketLink,
  parseStat,
  parseStatus,
  parseTaskDir,
  type ProcStat,
} from './proc-parse.ts'
import type { ListeningProcess, ProcessInfo, ProcessSource, ReadOptions } from './types.ts'

/**
 * Process data from Linux's /proc. Per process and sample it reads stat, lists task/
 * (thread ids), reads each thread's children file (descendants: a child belongs to the
 * thread that forked it) and, with sockets on, reads the fd links. Command line and uid
 * are read once per process (per exec). A sample's reads are synchronous: /proc reads are
 * served from kernel memory in microseconds, and the thread pool would cost more than it
 * saves for the few processes of a run. Listing every listener is not few (see listening).
 */
export class LinuxProcSource implements ProcessSource {
  readonly description = 'linux /proc'
  readonly ticksPerSecond: number
  readonly pageSize: number
  private readonly bootTimeMs: number
  private readonly endianness: Endianness
  /** Kernels without CONFIG_PROC_CHILDREN have no children files: then scan every stat. */
  private readonly childrenFiles: boolean
  /** Per process (pid, start, name — a new name means an exec): arguments and uid. */
  private identities = new Map<string, { args: string[]; uid: number | null }>()

  constructor() {
    this.endianness = os.endianness()
    let auxv = new Map<number, bigint>()
    try {
      auxv = parseAuxv(fs.readFileSync('/proc/self/auxv'), os.arch().includes('64') ? 8 : 4, this.endianness)
    } catch {
      // Unreadable auxv (unusual sandboxes): fall back to the values of every mainstream arch.
    }
    this.ticksPerSecond = Number(auxv.get(AT_CLKTCK) ?? 100n)
    this.pageSize = Number(auxv.get(AT_PAGESZ) ?? 4096n)
    this.bootTimeMs = parseBootTime(fs.readFileSync('/proc/stat', 'utf8')) * 1000
    this.childrenFiles = fs.existsSync(`/proc/self/task/${process.pid}/children`)
  }

  async read(roots: readonly number[], extra: ReadonlyMap<number, number | null>, options: ReadOptions): Promise<ProcessInfo[]> {
    if (!roots.length && !extra.size) return []
    const sockets = options.sockets ? readNetTcp(this.endianness) : undefined
    const parents = this.childrenFiles ? undefined : scanParents()
    const out: ProcessInfo[] = []
    const seen = new Set<number>()
    const keep = new Set<string>()
    const visit = (pid: number, expectStart: number | null | undefined) => {
      if (seen.has(pid)) return
      const found = this.readProcess(pid, sockets, parents)
      if (!found || (expectStart !== undefined && found.info.startTime !== expectStart)) return
      seen.add(pid)
      keep.add(found.key)
      out.push(found.info)
      for (const child of found.children) visit(child, undefined)
    }
    for (const root of roots) visit(root, undefined)
    for (const [pid, start] of extra) visit(pid, start)
    // Forget processes that are gone, so the cache stays the size of the tree.
    for (const key of this.identities.keys()) if (!keep.has(key)) this.identities.delete(key)
    return out
  }

  /**
   * Unlike a sample of a few processes, this reads every process's descriptors (thousands
   * of files), on a request from a page: asynchronously, a few processes at a time, so
   * that other sessions are served meanwhile (synchronous, 100 of these stalled the lab
   * for seconds).
   */
  async listening(): Promise<ListeningProcess[]> {
    const listeners = new Map<number, NetTcpRow>()
    for (const row of (await readNetTcpAsync(this.endianness)).values()) if (row.state === 'LISTEN') listeners.set(row.inode, row)
    const pids = parseTaskDir(await fs.promises.readdir('/proc'))
    const found: { pid: number; listening: OsSocket[] }[] = []
    for (let i = 0; i < pids.length; i += LISTING_CONCURRENCY) {
      const batch = pids.slice(i, i + LISTING_CONCURRENCY)
      const sockets = await Promise.all(batch.map((pid) => readSocketsAsync(pid, listeners)))
      batch.forEach((pid, k) => {
        if (sockets[k]?.length) found.push({ pid, listening: sockets[k] })
      })
    }
    const out: ListeningProcess[] = []
    for (const { pid, listening } of found) {
      // A handful of processes, a few small files each: the sample's own reader serves.
      const read = this.readProcess(pid, undefined, undefined)
      if (read) out.push({ pid, ppid: read.info.ppid, command: read.info.command, listening })
    }
    return out
  }

  async lookup(pid: number) {
    try {
      const status = parseStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
      return status.tgid === pid ? ({ kind: 'process' } as const) : ({ kind: 'thread', tgid: status.tgid } as const)
    } catch {
      return { kind: 'none' } as const
    }
  }

  private readProcess(pid: number, sockets: Map<number, NetTcpRow> | undefined, parents: Map<number, number[]> | undefined) {
    let stat: ProcStat
    try {
      stat = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      return undefined // gone between listing and reading: the next sample reports it
    }
    const threadIds = tryOr(() => parseTaskDir(fs.readdirSync(`/proc/${pid}/task`)), null)
    const children = parents
      ? (parents.get(pid) ?? [])
      : (threadIds ?? [pid]).flatMap((tid) => tryOr(() => parseChildren(fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')), []))
    const key = `${pid}:${stat.startTicks}:${stat.comm}`
    let identity = this.identities.get(key)
    // A zombie has neither arguments nor memory left; keep what it had while alive.
    if (!identity && stat.state !== 'Z') {
      identity = {
        args: tryOr(() => parseCmdline(fs.readFileSync(`/proc/${pid}/cmdline`)), []),
        uid: tryOr(() => parseStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).uid, null),
      }
      this.identities.set(key, identity)
    }
    const info: ProcessInfo = {
      pid,
      ppid: stat.ppid,
      state: stat.state,
      name: stat.comm,
      command: commandLine(identity?.args ?? [], stat.comm, stat.state),
      threads: stat.threads,
      threadIds,
      cpuMs: ((stat.utimeTicks + stat.stimeTicks) * 1000) / this.ticksPerSecond,
      cpuPercent: null,
      rssBytes: stat.rssPages * this.pageSize,
      startTime: Math.round(this.bootTimeMs + (stat.startTicks * 1000) / this.ticksPerSecond),
      uid: identity?.uid ?? null,
    }
    if (sockets) info.sockets = readSockets(pid, sockets)
    return { info, key, children: children.sort((a, b) => a - b) }
  }
}

/**
 * Both TCP tables, by socket inode. They list the sockets of the reader's network
 * namespace, so a process in another namespace (a container) shows no sockets.
 */
export function readNetTcp(endianness: Endianness = os.endianness()): Map<number, NetTcpRow> {
  const byInode = new Map<number, NetTcpRow>()
  for (const family of ['tcp', 'tcp6'] as const) {
    const text = tryOr(() => fs.readFileSync(`/proc/net/${family}`, 'utf8'), '') // no tcp6 without IPv6
    for (const row of parseNetTcp(text, family, endianness)) if (row.inode) byInode.set(row.inode, row)
  }
  return byInode
}

/** Processes whose descriptors are read at once when listing listeners. */
const LISTING_CONCURRENCY = 8

async function readNetTcpAsync(endianness: Endianness): Promise<Map<number, NetTcpRow>> {
  const byInode = new Map<number, NetTcpRow>()
  for (const family of ['tcp', 'tcp6'] as const) {
    const text = await fs.promises.readFile(`/proc/net/${family}`, 'utf8').catch(() => '') // no tcp6 without IPv6
    for (const row of parseNetTcp(text, family, endianness)) if (row.inode) byInode.set(row.inode, row)
  }
  return byInode
}

/** readSockets, without holding the event loop. */
async function readSocketsAsync(pid: number, table: ReadonlyMap<number, NetTcpRow>): Promise<OsSocket[] | null> {
  let fds: number[]
  try {
    fds = parseTaskDir(await fs.promises.readdir(`/proc/${pid}/fd`))
  } catch {
    return null
  }
  const links = await Promise.all(fds.map((fd) => fs.promises.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')))
  const out: OsSocket[] = []
  fds.forEach((fd, i) => {
    const inode = parseSocketLink(links[i]!)
    const row = inode === null ? undefined : table.get(inode)
    if (row) out.push(toOsSocket(row, fd))
  })
  return out
}

/** The process's descriptors that are TCP sockets of `table`; null when its fds cannot be listed. */
export function readSockets(pid: number, table: ReadonlyMap<number, NetTcpRow>): OsSocket[] | null {
  let fds: number[]
  try {
    fds = parseTaskDir(fs.readdirSync(`/proc/${pid}/fd`))
  } catch {
    return null
  }
  const out: OsSocket[] = []
  for (const fd of fds) {
    const inode = tryOr(() => parseSocketLink(fs.readlinkSync(`/proc/${pid}/fd/${fd}`)), null)
    const row = inode === null ? undefined : table.get(inode)
    if (row) out.push(toOsSocket(row, fd))
  }
  return out
}

export function toOsSocket(row: NetTcpRow, fd: number | null): OsSocket {
  const listening = row.state === 'LISTEN'
  return {
    fd,
    family: row.family,
    local: endpoint(row.localAddress, row.localPort),
    remote: endpoint(row.remoteAddress, row.remotePort),
    state: row.state,
    rxQueue: row.rxQueue,
    txQueue: row.txQueue,
    acceptQueue: listening ? row.rxQueue : null,
  }
}

/** Every process's children, from every stat (only for kernels without children files). */
function scanParents(): Map<number, number[]> {
  const parents = new Map<number, number[]>()
  for (const pid of parseTaskDir(fs.readdirSync('/proc'))) {
    const ppid = tryOr(() => parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).ppid, null)
    if (ppid === null) continue
    const list = parents.get(ppid)
    if (list) list.push(pid)
    else parents.set(ppid, [pid])
  }
  return parents
}

function tryOr<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read()
  } catch {
    return fallback
  }
}
