/**
 * The one event stream: the contract between servers, clients, the lab, the renderer,
 * trace files and the CLI. Types only: nothing here runs.
 *
 * Every event carries
 *  - `t`: µs since the run's origin, read from the machine's monotonic clock, which all
 *    processes share (see clock.ts), so events from different processes order correctly;
 *  - `src`: who saw it (server or client side, pid, thread);
 *  - `conn`, where it has one: the same id on the server and the client side of one
 *    connection (see connId in connection-id.ts).
 */

export type ConnId = string

/** `os` is the process sampler: what the kernel reports, not what a server says. */
export type Role = 'server' | 'client' | 'lab' | 'os'

export interface EventSource {
  role: Role
  /** The server or client run this event belongs to (a lab-assigned id such as `s1`, `c2`). */
  run: string
  /** Real OS process id of the process that saw the event. */
  pid: number
  /** Node thread id inside that process: 0 is the main thread, workers count up. */
  tid: number
}

interface Base<K extends string> {
  kind: K
  t: number
  src: EventSource
}

interface OnConn<K extends string> extends Base<K> {
  conn: ConnId
}

/** A server started listening (one event per listening port). */
export interface ListenEvent extends Base<'listen'> {
  host: string
  port: number
  model: string
  app: string
}

/** Client side: the TCP handshake completed. */
/**
 * Client side: the connection is established. Stamped when the client called connect(),
 * not when it heard back: the kernel completes the handshake before either side is told,
 * and the server may be told first, so only the call's time is sure to come before the
 * server's queued / accept. `handshakeUs` is how long the client then waited.
 */
export interface ConnectEvent extends OnConn<'connect'> {
  local: string
  remote: string
  handshakeUs: number
}

/** Server side: the connection is established and waits in the accept queue. */
export interface QueuedEvent extends OnConn<'queued'> {
  /** Connections waiting, this one included. */
  depth: number
}

/** Server side: the server took the connection out of the queue. */
export interface AcceptEvent extends OnConn<'accept'> {
  remote: string
  /** µs the connection spent in the accept queue. */
  waitedUs: number
}

export interface RecvEvent extends OnConn<'recv'> {
  bytes: number
  /** The first bytes as text (control characters escaped), for tooltips and logs. */
  preview: string
}

export interface SendEvent extends OnConn<'send'> {
  bytes: number
  preview: string
}

export interface CloseEvent extends OnConn<'close'> {
  /** Who ended it: this side closing, the peer's EOF, or an error. */
  by: 'local' | 'peer' | 'error'
  /**
   * The connection ended with a reset (RST), not a FIN: `sent` by this side (it cut the
   * connection, or closed it with bytes still unread), or `received` from the peer (a read
   * or write failed with ECONNRESET / EPIPE). Absent: an ordinary close, or not known.
   */
  reset?: 'sent' | 'received'
}

/**
 * A handler started before its connection arrived (a pre-forked child, a parked thread),
 * which the server keeps ready because a Node process or thread must boot a V8 isolate
 * (tens to hundreds of ms) where a fork() or a thread start costs microseconds.
 */
export interface SpareStart {
  /** When the spare was started (µs, the run's clock): off this connection's accept path. */
  startedAt: number
  /** Its own boot, start → ready to serve, µs; absent if it was still booting when taken. */
  startUs?: number
  /** How many spares the server keeps ready. */
  pool: number
}

/**
 * What the start stands for: what a fork() or a thread start costs in Python on this
 * machine, measured when the server started (models/start-costs.ts). Labelled on screen
 * as measured; absent where it could not be measured (no python3).
 */
export interface ModelledStart {
  us: number
  /** What was timed: `os.fork()`, `threading.Thread.start()`. */
  call: string
  /** How: the interpreter and the samples (`Python 3.11 on this machine, median of 21`). */
  by: string
}

/**
 * Fork model: the server process gave a connection its own child process. With `spare`,
 * the child was forked ahead of time and takes the connection now; `modelledStart` is
 * what the fork() itself costs.
 */
export interface ForkEvent extends OnConn<'fork'> {
  childPid: number
  spare?: SpareStart
  modelledStart?: ModelledStart
}

/** A child process ended (observed by its parent). */
export interface ExitEvent extends Base<'exit'> {
  childPid: number
  conn?: ConnId
  code: number | null
  signal: string | null
}

export type ReapPolicy = 'immediate' | 'on-accept' | 'never'

/**
 * A child's process-table entry was removed. Node's runtime always reaps at once (libuv
 * waits on SIGCHLD), so for a Node server this is where the server's reap policy *would*
 * have reaped it: `modelled` says so, and `zombieUs` is the zombie interval that policy
 * leaves (exit → reap).
 */
export interface ReapEvent extends Base<'reap'> {
  childPid: number
  conn?: ConnId
  policy: ReapPolicy
  /** What triggered the reap: the exit itself, the next accept, or the server's own exit. */
  trigger: 'exit' | 'accept' | 'server-exit'
  zombieUs: number
  modelled: boolean
}

/**
 * A connection's own thread starts serving it. With `spare`, the thread was started
 * ahead of time and parked until now; `modelledStart` is what a thread start costs.
 */
export interface ThreadStartEvent extends OnConn<'thread-start'> {
  /** Node's id for the thread (the `tid` of its events). */
  threadId: number
  /** The kernel's id for the same thread (/proc/PID/task/TID), where it could be read. */
  osTid?: number
  spare?: SpareStart
  modelledStart?: ModelledStart
}

export interface ThreadEndEvent extends OnConn<'thread-end'> {
  threadId: number
}

/** A coroutine / task began or ended (asyncio model). */
export interface TaskStartEvent extends OnConn<'task-start'> {
  task: string
}

export interface TaskEndEvent extends OnConn<'task-end'> {
  task: string
}

/** An event loop woke up (select / asyncio / reactor): what was ready, and how long it waited. */
export interface WakeupEvent extends Base<'wakeup'> {
  readable: string[]
  writable: string[]
  waitedUs: number
}

export type BlockReason = 'recv' | 'send' | 'sleep' | 'accept' | 'lock' | 'select'

/**
 * Who waits:
 *  - `thread` (the default, when absent): the thread itself is in a blocking call (a
 *    blocking recv, time.sleep, accept, a sendall with a full send buffer, select()):
 *    nothing else runs on it until it resumes;
 *  - `task`: only this connection's coroutine or handler waits (an asyncio `await`, a
 *    select / reactor handler parked until its socket is readable, a callLater): the
 *    thread goes on running the event loop and the other connections.
 */
export type Waiter = 'thread' | 'task'

/**
 * A thread of control stopped to wait (on `on`), or resumed.
 *
 * `on: 'select'` is an event loop's own wait for readiness (select / epoll), on every
 * socket it watches at once, with no connection: `sockets` says how many, `timeoutMs` how
 * long at most (a timer is due then; absent: until a socket is ready). The loop's next
 * `wakeup` ends that wait (it says what was ready and how long it waited); no unblock follows.
 */
export interface BlockEvent extends Base<'block'> {
  conn?: ConnId
  on: BlockReason
  waiter?: Waiter
  sockets?: number
  timeoutMs?: number
  /** Why the wait began, where `on` alone does not say it (absent: the ordinary wait). */
  cause?: BlockCause
  /** `at-cap`: the cap the server is at (its live children or threads). */
  limit?: number
}

/**
 * - `peer-not-reading`, on 'send': the kernel's send buffer (and the bounded buffer in
 *   front of it, see models/bounds.ts) is full, because the peer is not reading what it is
 *   sent as fast as it comes (on loopback: not at all). The send goes on once the peer
 *   drains; meanwhile this connection's reading is paused too, so nothing grows.
 * - `at-cap`, on 'accept': the server holds off accepting until one of its `limit` live
 *   children or threads ends (socketserver.ForkingMixIn's max_children); new connections
 *   wait, queued, meanwhile. Raise it with --max-children / --max-threads.
 */
export type BlockCause = 'peer-not-reading' | 'at-cap'

export interface UnblockEvent extends Base<'unblock'> {
  conn?: ConnId
  on: BlockReason
  /** µs spent blocked. */
  blockedUs: number
  /** As the block's. */
  waiter?: Waiter
}

export interface LockWaitEvent extends Base<'lock-wait'> {
  conn?: ConnId
  lock: string
  /** Who waits for the lock (see Waiter): a thread blocked in acquire(), or a task awaiting it. */
  waiter?: Waiter
}

export interface LockAcquireEvent extends Base<'lock-acquire'> {
  conn?: ConnId
  lock: string
  waitedUs: number
  waiter?: Waiter
}

export interface LockReleaseEvent extends Base<'lock-release'> {
  conn?: ConnId
  lock: string
}

/** A named phase of a handler (socketserver setup / handle / finish, reactor callbacks). */
export interface PhaseEvent extends OnConn<'phase'> {
  phase: string
  edge: 'begin' | 'end'
}

/**
 * Application state read or written by a handler (the bank's balances): which key, what
 * value, and whose memory holds it, so that lost updates and per-process copies show.
 *  - process: one process's memory, used by the one thread that runs every handler;
 *  - shared: memory every thread of the process sees (a SharedArrayBuffer);
 *  - copy: a forked child's own copy; no other connection sees what it writes.
 */
export interface StateEvent extends Base<'state'> {
  conn?: ConnId
  access: 'read' | 'write'
  key: string
  value: number
  memory: 'process' | 'shared' | 'copy'
}

export interface ErrorEvent extends Base<'error'> {
  conn?: ConnId
  code: string
  message: string
}

/**
 * The OS's own view of a process (the sampler reading /proc or the platform's tool):
 * a process appeared under a watched root, changed state or thread count, or is gone.
 */
export interface ProcEvent extends Base<'proc'> {
  /** `usage`: only CPU % or memory moved (at most once a second per process), so live
   *  tables stay current without a state change. */
  change: 'appeared' | 'changed' | 'gone' | 'usage'
  pid: number
  ppid: number
  /** The kernel's state letter: R, S, D, Z, T, … ('?' where the platform cannot tell). */
  state: string
  /** null where the platform cannot tell (macOS's ps). */
  threads: number | null
  command: string
  /** The kernel's short name (comm), which survives into the zombie state. */
  name?: string
  /** Thread ids (Linux TIDs); null where the platform cannot tell. */
  threadIds?: number[] | null
  /** CPU time used so far, user + system (ms). */
  cpuMs?: number | null
  /** CPU use since the previous sample, % of one core (first sample: over the process's life, as ps). */
  cpuPercent?: number | null
  /** Resident memory (bytes). */
  rssBytes?: number | null
  /** When the process started (ms since the Unix epoch). */
  startTime?: number | null
}

/**
 * The OS's view of a watched process's TCP sockets (sampler, sockets on): the whole table,
 * sent when a process appears with sockets and whenever a row or a queue length changes.
 */
export interface SocketsEvent extends Base<'sockets'> {
  pid: number
  /** null: the table cannot be read (another user's process, or the platform cannot tell). */
  sockets: OsSocket[] | null
}

export interface OsSocket {
  /** The process's descriptor for it; null where the platform does not say. */
  fd: number | null
  family: 'tcp' | 'tcp6'
  /** `address:port`, IPv6 in brackets. */
  local: string
  remote: string
  /** LISTEN, ESTABLISHED, TIME_WAIT, … as the kernel names them. */
  state: string
  /** Bytes received and not yet read (for LISTEN: connections waiting to be accepted). */
  rxQueue: number | null
  /** Bytes sent and not yet acknowledged. */
  txQueue: number | null
  /** LISTEN only: connections completed by the kernel and waiting for accept(). */
  acceptQueue: number | null
}

export type SockscopeEvent =
  | ListenEvent
  | ConnectEvent
  | QueuedEvent
  | AcceptEvent
  | RecvEvent
  | SendEvent
  | CloseEvent
  | ForkEvent
  | ExitEvent
  | ReapEvent
  | ThreadStartEvent
  | ThreadEndEvent
  | TaskStartEvent
  | TaskEndEvent
  | WakeupEvent
  | BlockEvent
  | UnblockEvent
  | LockWaitEvent
  | LockAcquireEvent
  | LockReleaseEvent
  | PhaseEvent
  | StateEvent
  | ErrorEvent
  | ProcEvent
  | SocketsEvent

export type EventKind = SockscopeEvent['kind']

/** An event before the emitter stamps its time and source. */
export type EventBody<E extends SockscopeEvent = SockscopeEvent> = E extends SockscopeEvent
  ? Omit<E, 't' | 'src'>
  : never
