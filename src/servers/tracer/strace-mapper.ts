/**
 * System calls → the event union (events.ts): what a traced program does, in the same
 * events as Sockscope's own models, so it is drawn with the same lanes. Pure: records in
 * (strace-parser.ts), events out; it keeps what it must remember (each process's open
 * sockets, who forked whom, when each child exited) and nothing else.
 *
 * Connection ids match the client side's (`clientport>serverport`, connection-id.ts):
 * strace's `-yy` names each socket by its addresses, `3<TCP:[127.0.0.1:50007->127.0.0.1:41234]>`,
 * and a socket whose local port is one the program listens on is a server-side end.
 *
 * What strace cannot see is not invented: an accept's time in the queue (the kernel's;
 * the client's connect marks the arrival), and which connection a fork or a thread is for
 * (the kernel does not say): that is the connection the process accepted last and has
 * not yet handed on, which is what every seed server does (accept, then fork or start a
 * thread). A process or thread started for no connection gets no fork / thread-start
 * event; the OS sampler's process table still shows it.
 */
import { connId, preview } from '../connection-id.ts'
import type { BlockReason, ConnId, ReapPolicy, SockscopeEvent } from '../events.ts'
import { type CallRecord, type EnterRecord, firstString, type StraceRecord } from './strace-parser.ts'

export interface MapperOptions {
  /** The lab's id for this run (`t1`). */
  run: string
  /** A wall-clock time (µs since the epoch, as strace prints it) → µs since the run's origin. */
  toRunUs: (wallUs: number) => number
  /** What the listen event names as the app: the program's command. */
  app: string
  /** Threads already running when tracing began (attaching by pid): thread id → its process id. */
  threads?: ReadonlyMap<number, number>
}

/**
 * A call that lasts at least this long is drawn as a wait (block → unblock) even where
 * the stream never showed it in progress; shorter ones are not (a recv that found data
 * waiting is not a wait).
 */
export const BLOCK_MIN_US = 1000

/** Records of a process not yet known to be a child or a thread (its clone has not returned), at most this many each. */
const MAX_EARLY_RECORDS = 512

interface Conn {
  conn: ConnId
  remote: string
  /** Descriptors that refer to it, over every process: the connection ends when the last is closed. */
  refs: number
  peerEof: boolean
  reset: 'sent' | 'received' | undefined
  closed: boolean
}

type Sock = { kind: 'listen'; port: number } | { kind: 'conn'; c: Conn }

interface Proc {
  pid: number
  parent: number | null
  fds: Map<number, Sock>
  /** Accepted connections not yet handed to a child or a thread, latest last. */
  unassigned: ConnId[]
  sigchldIgnored: boolean
  /** An accept returned and the process has not waited on anything since (the seed's reapChildren runs here). */
  afterAccept: boolean
  /** Reaped a child after an accept: its policy, once seen. */
  reapsOnAccept: boolean
  children: Set<number>
}

interface Child {
  conn: ConnId | undefined
  parent: number
  exitUs: number | null
  reaped: boolean
  /** Reaped before its exit was in the stream (strace writes the two from different processes): the reap waits for it. */
  pendingReap?: { tid: number; atUs: number; onAccept: boolean }
}

interface InCall {
  wallUs: number
  name: string
  on: BlockReason | null
  conn: ConnId | undefined
  blocked: boolean
}

const ADDR = /^(\d+)<(TCP|TCPv6):\[(.*?)\]>/
const SOCKET_FD = /^(\d+)<(?:TCP|TCPv6|socket):\[/

function splitAddress(text: string): { host: string; port: number } | null {
  const at = text.lastIndexOf(':')
  if (at < 0) return null
  const port = Number(text.slice(at + 1))
  if (!Number.isInteger(port)) return null
  return { host: text.slice(0, at).replace(/^\[|\]$/g, ''), port }
}

/** `3<TCP:[127.0.0.1:50007->127.0.0.1:41234]>` or `3<TCP:[127.0.0.1:50007]>` at the start of a text. */
function socketOf(text: string): { fd: number; local: { host: string; port: number } | null; remote: string | null } | null {
  const m = ADDR.exec(text)
  if (!m) {
    const plain = SOCKET_FD.exec(text)
    return plain ? { fd: Number(plain[1]), local: null, remote: null } : null
  }
  const [localText, remote] = m[3]!.split('->')
  return { fd: Number(m[1]), local: splitAddress(localText!), remote: remote ?? null }
}

const FD = /^(\d+)/

const RECV = new Set(['read', 'recvfrom', 'recv', 'recvmsg', 'readv'])
const SEND = new Set(['write', 'sendto', 'send', 'sendmsg', 'writev'])
const ACCEPT = new Set(['accept', 'accept4'])
const SELECT = new Set(['select', 'pselect6', 'poll', 'ppoll', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2'])
const SLEEP = new Set(['nanosleep', 'clock_nanosleep'])
const CLONE = new Set(['clone', 'clone3', 'fork', 'vfork'])

export class StraceMapper {
  private readonly procs = new Map<number, Proc>()
  /** Thread id → its process (tgid). */
  private readonly tgid = new Map<number, number>()
  private readonly childs = new Map<number, Child>()
  private readonly threadConn = new Map<number, ConnId>()
  private readonly calls = new Map<number, InCall>()
  private readonly early = new Map<number, StraceRecord[]>()
  private readonly listenPorts = new Set<number>()
  private root: number | null = null
  /** Records of unknown processes dropped past MAX_EARLY_RECORDS. */
  dropped = 0

  private readonly options: MapperOptions

  constructor(options: MapperOptions) {
    this.options = options
    for (const [tid, pid] of options.threads ?? []) {
      this.tgid.set(tid, pid)
      if (!this.procs.has(pid)) this.procs.set(pid, this.newProc(pid, null))
      this.root ??= pid
    }
  }

  /** The process ids seen so far (the root's and every child's). */
  processes(): number[] {
    return [...this.procs.keys()]
  }

  map(record: StraceRecord): SockscopeEvent[] {
    const out: SockscopeEvent[] = []
    this.route(record, out)
    return out
  }

  mapAll(records: readonly StraceRecord[]): SockscopeEvent[] {
    const out: SockscopeEvent[] = []
    for (const r of records) this.route(r, out)
    return out
  }

  private newProc(pid: number, parent: number | null, from?: Proc): Proc {
    const fds = new Map<number, Sock>()
    for (const [fd, sock] of from?.fds ?? []) {
      if (sock.kind === 'conn') sock.c.refs++
      fds.set(fd, sock)
    }
    return { pid, parent, fds, unassigned: [], sigchldIgnored: from?.sigchldIgnored ?? false, afterAccept: false, reapsOnAccept: false, children: new Set() }
  }

  private route(record: StraceRecord, out: SockscopeEvent[]): void {
    const { pid } = record
    if (!this.tgid.has(pid)) {
      if (this.root === null) {
        this.root = pid
        this.tgid.set(pid, pid)
        this.procs.set(pid, this.newProc(pid, null))
      } else {
        // Its clone has not returned yet in the stream: hold its records until it does.
        const held = this.early.get(pid) ?? []
        if (held.length < MAX_EARLY_RECORDS) held.push(record)
        else this.dropped++
        this.early.set(pid, held)
        return
      }
    }
    this.handle(record, out)
  }

  private src(tid: number) {
    const pid = this.tgid.get(tid) ?? tid
    return { role: 'server' as const, run: this.options.run, pid, tid: tid === pid ? 0 : tid }
  }

  private t(wallUs: number): number {
    return this.options.toRunUs(wallUs)
  }

  private handle(record: StraceRecord, out: SockscopeEvent[]): void {
    switch (record.type) {
      case 'enter':
        return this.enter(record, out)
      case 'call':
        return this.call(record, out)
      case 'signal':
        return
      case 'exit':
        return this.exit(record.pid, record.wallUs, record.code, record.signal, out)
    }
  }

  private proc(tid: number): Proc {
    return this.procs.get(this.tgid.get(tid) ?? tid)!
  }

  /** What a call waits on, if it is one that can block: and on which connection. */
  private waitOf(tid: number, name: string, args: string): { on: BlockReason; conn: ConnId | undefined } | null {
    if (ACCEPT.has(name)) return { on: 'accept', conn: undefined }
    if (SELECT.has(name)) return { on: 'select', conn: undefined }
    if (SLEEP.has(name)) return { on: 'sleep', conn: undefined }
    if (name === 'futex') return /FUTEX_WAIT|FUTEX_LOCK_PI/.test(args) ? { on: 'lock', conn: undefined } : null
    if (RECV.has(name) || SEND.has(name)) {
      const fd = FD.exec(args)
      const sock = fd ? this.proc(tid).fds.get(Number(fd[1])) : undefined
      if (!sock && !socketOf(args)) return null
      return { on: RECV.has(name) ? 'recv' : 'send', conn: sock?.kind === 'conn' ? sock.c.conn : this.connFromArgs(tid, args)?.conn }
    }
    return null
  }

  private block(tid: number, wallUs: number, on: BlockReason, conn: ConnId | undefined, args: string, out: SockscopeEvent[]): void {
    const base = { kind: 'block' as const, t: this.t(wallUs), src: this.src(tid), on }
    if (on === 'select') {
      const sockets = (args.match(/<(?:TCP|TCPv6):\[/g) ?? []).length
      out.push({ ...base, ...(sockets ? { sockets } : {}) })
    } else out.push({ ...base, ...(conn ? { conn } : {}) })
  }

  private enter(record: EnterRecord, out: SockscopeEvent[]): void {
    const known = this.calls.get(record.pid)
    if (known && known.wallUs === record.wallUs) return
    const wait = this.waitOf(record.pid, record.name, record.args)
    const call: InCall = { wallUs: record.wallUs, name: record.name, on: wait?.on ?? null, conn: wait?.conn, blocked: false }
    this.calls.set(record.pid, call)
    if (wait && wait.on !== 'lock') this.proc(record.pid).afterAccept = false
    // Futex waits are drawn only when they last (BLOCK_MIN_US): every thread of a Python
    // program takes the GIL through one, mostly for a few µs.
    if (wait && wait.on !== 'lock') {
      call.blocked = true
      this.block(record.pid, record.wallUs, wait.on, wait.conn, record.args, out)
    }
  }

  private call(record: CallRecord, out: SockscopeEvent[]): void {
    const tid = record.pid
    const began = this.calls.get(tid)
    this.calls.delete(tid)
    const duration = record.durationUs ?? 0
    const endUs = record.wallUs + duration
    const wait = began && began.wallUs === record.wallUs ? began : null
    const w = wait ?? (() => {
      const found = this.waitOf(tid, record.name, record.args)
      return found ? { on: found.on, conn: found.conn, blocked: false } : null
    })()
    if (w?.on && !w.blocked && duration >= BLOCK_MIN_US && record.durationUs !== null) {
      this.block(tid, record.wallUs, w.on, w.conn, record.args, out)
      w.blocked = true
    }
    const unblock = () => {
      if (!w?.on || !w.blocked || w.on === 'select' || record.durationUs === null) return
      out.push({ kind: 'unblock', t: this.t(endUs), src: this.src(tid), on: w.on, blockedUs: duration, ...(w.conn ? { conn: w.conn } : {}) })
    }
    unblock()
    if (w?.on && w.on !== 'lock' && w.blocked) this.proc(tid).afterAccept = false
    this.effect(record, endUs, out)
  }

  /** The connection a socket argument names, by its addresses (the fd tables' fallback). */
  private connFromArgs(tid: number, args: string): Conn | null {
    const s = socketOf(args)
    if (!s?.local || !s.remote) return null
    const remote = splitAddress(s.remote)
    if (!remote) return null
    const proc = this.proc(tid)
    const server = this.listenPorts.has(s.local.port)
    const conn = server ? connId(remote.port, s.local.port) : connId(s.local.port, remote.port)
    for (const sock of proc.fds.values()) if (sock.kind === 'conn' && sock.c.conn === conn) return sock.c
    return null
  }

  private connAt(tid: number, args: string): Conn | null {
    const fd = FD.exec(args)
    const sock = fd ? this.proc(tid).fds.get(Number(fd[1])) : undefined
    if (sock?.kind === 'conn') return sock.c
    return this.connFromArgs(tid, args)
  }

  private effect(r: CallRecord, endUs: number, out: SockscopeEvent[]): void {
    const tid = r.pid
    const proc = this.proc(tid)
    const t = this.t(endUs)
    const src = this.src(tid)
    const ok = r.errno === null && r.value !== null && r.value >= 0
    if (r.name === 'listen' && ok) {
      const s = socketOf(r.args)
      if (s?.local) {
        this.listenPorts.add(s.local.port)
        proc.fds.set(s.fd, { kind: 'listen', port: s.local.port })
        out.push({ kind: 'listen', t, src, host: s.local.host, port: s.local.port, model: 'traced', app: this.options.app })
      }
      return
    }
    if (ACCEPT.has(r.name) && ok) {
      const s = socketOf(r.ret)
      const listening = socketOf(r.args)
      const peerPort = /sin6?_port=htons\((\d+)\)/.exec(r.args)
      const localPort = s?.local?.port ?? listening?.local?.port
      const remotePort = s?.remote ? splitAddress(s.remote)?.port : peerPort ? Number(peerPort[1]) : undefined
      if (localPort === undefined || remotePort === undefined) return
      const conn = connId(remotePort, localPort)
      const c: Conn = { conn, remote: s?.remote ?? `127.0.0.1:${remotePort}`, refs: 1, peerEof: false, reset: undefined, closed: false }
      proc.fds.set(r.value!, { kind: 'conn', c })
      proc.unassigned.push(conn)
      proc.afterAccept = true
      out.push({ kind: 'accept', t, src, conn, remote: c.remote, waitedUs: 0 })
      return
    }
    if (RECV.has(r.name) || SEND.has(r.name)) {
      const c = this.connAt(tid, r.args)
      if (!c) return
      if (r.errno === 'ECONNRESET' || r.errno === 'EPIPE') {
        c.reset = 'received'
        return
      }
      if (!ok) return
      if (RECV.has(r.name) && r.value === 0) {
        c.peerEof = true
        return
      }
      const data = firstString(r.args.replace(FD, '').replace(/^<.*?\]>/, ''))
      out.push({ kind: RECV.has(r.name) ? 'recv' : 'send', t, src, conn: c.conn, bytes: r.value!, preview: data ? preview(data.subarray(0, r.value!)) : '' })
      return
    }
    if (r.name === 'close' && ok) {
      const fd = FD.exec(r.args)
      if (!fd) return
      const sock = proc.fds.get(Number(fd[1]))
      proc.fds.delete(Number(fd[1]))
      if (sock?.kind === 'conn') this.release(sock.c, tid, endUs, out)
      return
    }
    if (r.name === 'shutdown' && ok) {
      const c = this.connAt(tid, r.args)
      if (c) this.end(c, tid, endUs, out)
      return
    }
    if (r.name === 'rt_sigaction' && ok && /^SIGCHLD, \{/.test(r.args)) {
      proc.sigchldIgnored = /^SIGCHLD, \{sa_handler=SIG_IGN/.test(r.args) || /^SIGCHLD, \{[^}]*SA_NOCLDWAIT/.test(r.args)
      return
    }
    if (CLONE.has(r.name) && ok && r.value! > 0) return this.cloned(tid, r, endUs, out)
    if ((r.name === 'wait4' || r.name === 'waitpid') && ok && r.value! > 0) return this.reaped(tid, r.value!, endUs, out)
    if (r.name === 'waitid' && ok) {
      const si = /si_pid=(\d+)/.exec(r.args)
      if (si && Number(si[1]) > 0 && !/WNOWAIT/.test(r.args)) this.reaped(tid, Number(si[1]), endUs, out)
      return
    }
    if (SELECT.has(r.name) && r.value !== null && r.value > 0) {
      out.push({ kind: 'wakeup', t, src, ...this.readySets(tid, r), waitedUs: r.durationUs ?? 0 })
    }
  }

  private nameOf(proc: Proc, fd: number): string {
    const sock = proc.fds.get(fd)
    if (sock?.kind === 'listen') return `listen:${sock.port}`
    if (sock?.kind === 'conn') return sock.c.conn
    return `fd ${fd}`
  }

  /** What a select / poll / epoll_wait returned as ready, named as the models name them (a connection id, `listen:PORT`). */
  private readySets(tid: number, r: CallRecord): { readable: string[]; writable: string[] } {
    const proc = this.proc(tid)
    const readable: string[] = []
    const writable: string[] = []
    const fdsIn = (list: string | undefined) => (list ? [...list.matchAll(/(\d+)/g)].map((m) => Number(m[1])) : [])
    if (r.name === 'select' || r.name === 'pselect6') {
      // `= 2 (in [5 6], out [7])`: the fds are plain numbers there.
      for (const fd of fdsIn(/\bin \[([^\]]*)\]/.exec(r.ret)?.[1])) readable.push(this.nameOf(proc, fd))
      for (const fd of fdsIn(/\bout \[([^\]]*)\]/.exec(r.ret)?.[1])) writable.push(this.nameOf(proc, fd))
    } else if (r.name === 'poll' || r.name === 'ppoll') {
      for (const m of r.ret.matchAll(/\{fd=(\d+)[^,]*, revents=([A-Z|]+)\}/g)) {
        if (/POLLIN|POLLHUP|POLLERR/.test(m[2]!)) readable.push(this.nameOf(proc, Number(m[1])))
        if (/POLLOUT/.test(m[2]!)) writable.push(this.nameOf(proc, Number(m[1])))
      }
    } else {
      // epoll hands back what the program registered with each fd: Python's selectors
      // (and so asyncio and Twisted's epoll reactor) register the fd itself.
      for (const m of r.args.matchAll(/\{events=([A-Z|]+), data=\{u32=(\d+)/g)) {
        if (/EPOLLIN|EPOLLHUP|EPOLLERR/.test(m[1]!)) readable.push(this.nameOf(proc, Number(m[2])))
        if (/EPOLLOUT/.test(m[1]!)) writable.push(this.nameOf(proc, Number(m[2])))
      }
    }
    return { readable, writable }
  }

  /** One descriptor of a connection closed: the connection ends with its last one. */
  private release(c: Conn, tid: number, wallUs: number, out: SockscopeEvent[]): void {
    c.refs--
    if (c.refs <= 0) this.end(c, tid, wallUs, out)
  }

  private end(c: Conn, tid: number, wallUs: number, out: SockscopeEvent[]): void {
    if (c.closed) return
    c.closed = true
    out.push({ kind: 'close', t: this.t(wallUs), src: this.src(tid), conn: c.conn, by: c.reset ? 'error' : c.peerEof ? 'peer' : 'local', ...(c.reset ? { reset: c.reset } : {}) })
  }

  private cloned(tid: number, r: CallRecord, endUs: number, out: SockscopeEvent[]): void {
    const child = r.value!
    const parent = this.proc(tid)
    const thread = /CLONE_THREAD/.test(r.args)
    const conn = parent.unassigned.pop()
    if (thread) {
      this.tgid.set(child, parent.pid)
      if (conn) {
        this.threadConn.set(child, conn)
        out.push({ kind: 'thread-start', t: this.t(endUs), src: this.src(child), conn, threadId: child })
      }
    } else {
      this.tgid.set(child, child)
      this.procs.set(child, this.newProc(child, parent.pid, parent))
      parent.children.add(child)
      this.childs.set(child, { conn, parent: parent.pid, exitUs: null, reaped: false })
      if (conn) out.push({ kind: 'fork', t: this.t(endUs), src: this.src(tid), conn, childPid: child })
    }
    const held = this.early.get(child)
    if (held) {
      this.early.delete(child)
      for (const record of held) this.handle(record, out)
    }
  }

  private reaped(tid: number, childPid: number, endUs: number, out: SockscopeEvent[]): void {
    const child = this.childs.get(childPid)
    if (!child || child.reaped) return
    const parent = this.proc(tid)
    child.reaped = true
    // Reaped on the way back from an accept (the seed's reapChildren), or as it exited (a SIGCHLD handler, a blocking wait).
    const onAccept = parent.afterAccept
    if (onAccept) parent.reapsOnAccept = true
    if (child.exitUs === null) {
      child.pendingReap = { tid, atUs: endUs, onAccept }
      return
    }
    this.reap(tid, childPid, child, onAccept ? 'on-accept' : 'immediate', onAccept ? 'accept' : 'exit', endUs - child.exitUs, endUs, out)
  }

  private reap(tid: number, childPid: number, child: Child, policy: ReapPolicy, trigger: 'exit' | 'accept' | 'server-exit', zombieUs: number, atUs: number, out: SockscopeEvent[]): void {
    child.reaped = true
    out.push({ kind: 'reap', t: this.t(atUs), src: this.src(tid), childPid, ...(child.conn ? { conn: child.conn } : {}), policy, trigger, zombieUs: Math.max(0, zombieUs), modelled: false })
  }

  private exit(tid: number, wallUs: number, code: number | null, signal: string | null, out: SockscopeEvent[]): void {
    this.calls.delete(tid)
    const pid = this.tgid.get(tid) ?? tid
    if (tid !== pid) {
      const conn = this.threadConn.get(tid)
      if (conn) out.push({ kind: 'thread-end', t: this.t(wallUs), src: this.src(tid), conn, threadId: tid })
      this.threadConn.delete(tid)
      return
    }
    const proc = this.procs.get(pid)
    if (!proc) return
    // Its descriptors close with it: a connection only it still held ends here.
    for (const sock of proc.fds.values()) if (sock.kind === 'conn') this.release(sock.c, tid, wallUs, out)
    proc.fds.clear()
    const child = this.childs.get(pid)
    const parentPid = child?.parent ?? proc.parent
    const reporter = parentPid !== null && this.procs.has(parentPid) ? parentPid : pid
    out.push({ kind: 'exit', t: this.t(wallUs), src: this.src(reporter), childPid: pid, ...(child?.conn ? { conn: child.conn } : {}), code, signal })
    if (child) {
      child.exitUs = wallUs
      const pending = child.pendingReap
      if (pending) {
        const at = Math.max(pending.atUs, wallUs)
        this.reap(pending.tid, pid, child, pending.onAccept ? 'on-accept' : 'immediate', pending.onAccept ? 'accept' : 'exit', at - wallUs, at, out)
      }
      const parent = this.procs.get(child.parent)
      // SIGCHLD ignored (or SA_NOCLDWAIT): the kernel removes the child as it exits, no zombie.
      if (parent?.sigchldIgnored) this.reap(child.parent, pid, child, 'immediate', 'exit', 0, wallUs, out)
    }
    // Its own zombies go to init, which reaps them now.
    for (const childPid of proc.children) {
      const c = this.childs.get(childPid)
      if (c && !c.reaped && c.exitUs !== null) this.reap(pid, childPid, c, proc.reapsOnAccept ? 'on-accept' : 'never', 'server-exit', wallUs - c.exitUs, wallUs, out)
    }
    proc.children.clear()
  }
}
