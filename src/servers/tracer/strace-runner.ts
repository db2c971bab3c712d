/**
 * Runs strace on a program (or attaches it to a running process) and turns what it writes
 * into events on the run's clock. strace writes its trace to a FIFO of its own (`-o`), so
 * the program's stdin, stdout and stderr are its own (no extra descriptor shifts its
 * sockets' numbers); the program's output and strace's own messages come on their pipes.
 *
 * Lifecycle: starting → running → stopping → stopped; stop() is idempotent. Stopping a
 * program it started ends the program and everything it started (SIGTERM to the process
 * group strace leads, then SIGKILL to the group and to every process the trace saw, for
 * those that left the group). Stopping an attached trace detaches and leaves the process
 * running, as it was.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { closeSync, constants as fsConstants, open, openSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../clock.ts'
import { SockscopeError } from '../errors.ts'
import type { SockscopeEvent } from '../events.ts'
import { StraceMapper } from './strace-mapper.ts'
import { StraceParser } from './strace-parser.ts'
import { wallOffsetUs } from './wall-clock.ts'

/** The calls the mapper reads (strace stops the program at no others: --seccomp-bpf). */
export const TRACED_CALLS = [
  'listen', 'accept', 'accept4', 'recvfrom', 'recvmsg', 'read', 'readv', 'sendto', 'sendmsg', 'write', 'writev',
  'close', 'shutdown', 'clone', 'clone3', 'fork', 'vfork', 'exit', 'exit_group', 'wait4', 'waitid',
  'select', 'pselect6', 'poll', 'ppoll', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'nanosleep', 'clock_nanosleep',
  'futex', 'rt_sigaction',
]

/** How long a half-written line must stay so before it counts as a call in progress (a wait). */
const QUIET_MS = 5
/** After SIGTERM, how long the program has before everything left is killed. */
const KILL_AFTER_MS = 1000

export type TraceTarget = { command: string[]; cwd?: string } | { pid: number }

export interface StraceRunOptions {
  run: string
  clock: Clock
  target: TraceTarget
  onEvents: (batch: SockscopeEvent[]) => void
  /** The program's own output, line by line (stdout and stderr). */
  onOutput?: (line: string) => void
  /** strace's binary (default: `strace` on PATH). */
  strace?: string
}

const PTRACE_HELP =
  'the kernel did not allow tracing (ptrace): trace a program of your own user, or allow it with `sudo sysctl kernel.yama.ptrace_scope=0` (kernel.yama.ptrace_scope); in a container, run it with --cap-add=SYS_PTRACE'

/** strace is installed and runs here, or a coded error that says how to get it. */
export function checkStrace(binary = 'strace'): void {
  if (process.platform !== 'linux') throw new SockscopeError('UNSUPPORTED_PLATFORM', `tracing a program needs Linux and strace; this is ${process.platform}`)
  const probe = spawnSync(binary, ['-V'], { encoding: 'utf8' })
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    throw new SockscopeError('TRACER_MISSING', 'strace is not installed: install it (`sudo apt-get install strace` on Debian and Ubuntu) and trace again')
  if (probe.status !== 0) throw new SockscopeError('TRACER_MISSING', `strace does not run here: ${(probe.stderr || probe.error?.message || '').trim()}`)
}

/** What strace said on its stderr, as a coded error, if it is one that ends the trace. */
export function straceProblem(line: string, target: TraceTarget): SockscopeError | null {
  if (!line.startsWith('strace: ')) return null
  if (/Operation not permitted|EPERM/.test(line)) {
    const attachTo = 'pid' in target ? target.pid : null
    const tracer = attachTo === null ? null : tracerOf(attachTo)
    // A process has one tracer at a time: the kernel refuses a second with the same EPERM.
    if (tracer)
      return new SockscopeError(
        'TRACE_NOT_PERMITTED',
        `cannot attach to process ${attachTo}: it is already traced by pid ${tracer.pid} (${tracer.name}), and a process has one tracer at a time; stop that one and attach again`,
      )
    return new SockscopeError('TRACE_NOT_PERMITTED', 'pid' in target ? `cannot attach to process ${target.pid}: ${PTRACE_HELP}` : `cannot trace the program: ${PTRACE_HELP}`)
  }
  if (/No such process|ESRCH/.test(line)) return new SockscopeError('NO_SUCH_PROCESS', `no process with pid ${'pid' in target ? target.pid : '?'}`)
  const missing = /Can't stat '(.*)': No such file or directory/.exec(line)
  if (missing) return new SockscopeError('BAD_OPTION', `no program '${missing[1]}' (give its path, or a command on PATH)`)
  return null
}

/** The process tracing `pid` now (a debugger, another strace), from the kernel's /proc/PID/status; null: none, or it cannot be read. */
export function tracerOf(pid: number): { pid: number; name: string } | null {
  try {
    const tracer = Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    if (!tracer) return null
    let name = '?'
    try {
      name = readFileSync(`/proc/${tracer}/comm`, 'utf8').trim()
    } catch {
      // Gone meanwhile, or another user's: the pid alone says enough.
    }
    return { pid: tracer, name }
  } catch {
    return null
  }
}

function lines(onLine: (line: string) => void) {
  let tail = ''
  return (chunk: Buffer | string) => {
    const text = tail + chunk.toString()
    const parts = text.split('\n')
    tail = parts.pop()!.slice(-64 * 1024)
    for (const line of parts) onLine(line)
  }
}

const live = new Set<StraceRun>()
let exitHookInstalled = false

export interface StraceRunEvents {
  /** The program (the root process) ended, or the attached process did, or strace did. */
  exit: [{ code: number | null; signal: string | null }]
  problem: [SockscopeError]
}

export class StraceRun extends EventEmitter<StraceRunEvents> {
  state: 'starting' | 'running' | 'stopping' | 'stopped' = 'starting'
  private readonly options: StraceRunOptions
  private readonly parser = new StraceParser()
  private readonly mapper: StraceMapper
  private child: ChildProcess | undefined
  private watchdog: ChildProcess | undefined
  private stream: Socket | undefined
  private dir: string | undefined
  private quiet: NodeJS.Timeout | undefined
  private stopping: Promise<void> | undefined
  private closed: Promise<void> | undefined
  private rootExit: { code: number | null; signal: string | null } | null = null
  private firstRecord!: () => void
  /** Resolves when the trace's first line has come: strace runs and the program has started. */
  readonly started = new Promise<void>((resolve) => (this.firstRecord = resolve))
  /** The traced program's pid (the attached one's, or the launched one's once its first call is seen). */
  pid: number | null

  constructor(options: StraceRunOptions) {
    super()
    this.options = options
    const offset = wallOffsetUs(options.clock)
    const app = 'pid' in options.target ? `pid ${options.target.pid}` : options.target.command.join(' ')
    this.pid = 'pid' in options.target ? options.target.pid : null
    this.mapper = new StraceMapper({ run: options.run, app, toRunUs: (wall) => wall - offset, threads: 'pid' in options.target ? threadsOf(options.target.pid) : undefined })
  }

  /** Every process the trace has seen (the program's and its children's pids). */
  processes(): number[] {
    return this.mapper.processes()
  }

  async start(): Promise<void> {
    const { target } = this.options
    const binary = this.options.strace ?? 'strace'
    checkStrace(binary)
    if ('pid' in target) {
      try {
        process.kill(target.pid, 0)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') throw new SockscopeError('NO_SUCH_PROCESS', `no process with pid ${target.pid}`)
      }
    } else if (target.command.length === 0) throw new SockscopeError('BAD_OPTION', 'give the program to trace after --, as in: sockscope trace -- python3 server.py')
    this.dir = await mkdtemp(join(tmpdir(), 'sockscope-trace-'))
    const fifo = join(this.dir, 'trace.fifo')
    const made = spawnSync('mkfifo', ['-m', '600', fifo])
    if (made.status !== 0) throw new SockscopeError('INTERNAL', `could not make a FIFO for strace: ${made.stderr?.toString().trim()}`)
    const args = ['-f', '-ttt', '-T', '-yy', '-s', '48', '-o', fifo, '-e', `trace=${TRACED_CALLS.join(',')}`]
    const launch = 'command' in target
    const child = spawn(binary, launch ? ['--seccomp-bpf', ...args, '--', ...target.command] : [...args, '-p', String(target.pid)], {
      cwd: launch ? target.cwd : undefined,
      // Its own process group: the program and its children are in it, and stop() ends them all.
      detached: launch,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    if (launch && child.pid !== undefined) this.watchdog = startWatchdog(child.pid)
    live.add(this)
    installExitHook()
    let problem: SockscopeError | null = null
    child.stdout!.on('data', lines((line) => this.options.onOutput?.(line)))
    child.stderr!.on(
      'data',
      lines((line) => {
        const p = straceProblem(line, target)
        // Attached: the process may sit in a call for long before its first line comes.
        if (/^strace: Process \d+ attached/.test(line)) this.firstRecord()
        if (p) {
          problem ??= p
          this.emit('problem', p)
        } else if (!line.startsWith('strace: ')) this.options.onOutput?.(line)
      }),
    )
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
    child.once('error', (err) => {
      problem ??= new SockscopeError('TRACER_MISSING', `strace could not start: ${err.message}`)
    })
    // The FIFO's open waits for strace to open its end; if strace ends first, open it for
    // writing ourselves so that the read side's open returns (and reads an empty trace).
    // A plain descriptor, not a FileHandle: the socket below owns it and closes it.
    const opening = new Promise<number>((resolve, reject) => open(fifo, 'r', (err, fd) => (err ? reject(err) : resolve(fd))))
    void exited.then(() => {
      try {
        closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK))
      } catch {}
    })
    const fd = await opening
    const stream = new Socket({ fd, readable: true, writable: false })
    this.stream = stream
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => this.take(chunk))
    const drained = new Promise<void>((resolve) => stream.once('close', () => resolve()))
    stream.on('error', () => undefined)
    this.closed = (async () => {
      const status = await exited
      await drained
      clearTimeout(this.quiet)
      this.deliver([...this.parser.end()])
      this.state = 'stopped'
      live.delete(this)
      await rm(this.dir!, { recursive: true, force: true }).catch(() => undefined)
      this.emit('exit', this.rootExit ?? status)
    })()
    await Promise.race([this.started, exited])
    if (problem) {
      await this.stop()
      throw problem
    }
    if (this.state === 'stopped' || child.exitCode !== null) {
      const status = await exited
      throw new SockscopeError('HOST_CRASHED', `strace ended (${status.signal ?? `exit code ${status.code}`}) before the program started`)
    }
    this.state = 'running'
  }

  private take(chunk: string): void {
    this.deliver(this.parser.push(chunk))
    clearTimeout(this.quiet)
    // A line left half-written: a call that has not returned. Once the stream has been
    // quiet a moment, it is one that waits (a blocked accept, recv, select, sleep).
    this.quiet = setTimeout(() => {
      const entry = this.parser.partialEntry()
      if (entry) this.deliver([entry])
    }, QUIET_MS)
  }

  private deliver(records: ReturnType<StraceParser['push']>): void {
    if (records.length === 0) return
    if (this.pid === null) this.pid = records[0]!.pid
    this.firstRecord()
    for (const r of records) if (r.type === 'exit' && r.pid === this.pid) this.rootExit = { code: r.code, signal: r.signal }
    const events = this.mapper.mapAll(records)
    if (events.length) this.options.onEvents(events)
  }

  /** Resolves once strace has ended and every event is delivered. */
  done(): Promise<void> {
    return this.closed ?? Promise.resolve()
  }

  /** For a host that is exiting now: a launched program and everything it started are killed. */
  killNow(): void {
    if (this.child && 'command' in this.options.target) signalAll(this.child, this.processes(), 'SIGKILL')
    this.watchdog?.kill('SIGKILL')
  }

  stop(): Promise<void> {
    if (this.state === 'stopped' || !this.child) return Promise.resolve()
    this.stopping ??= (async () => {
      this.state = 'stopping'
      const child = this.child!
      const launched = 'command' in this.options.target
      if (launched) signalAll(child, this.processes(), 'SIGTERM')
      else child.kill('SIGTERM') // strace detaches and leaves the process as it was
      const timer = setTimeout(() => {
        if (launched) signalAll(child, this.processes(), 'SIGKILL')
        else child.kill('SIGKILL')
      }, KILL_AFTER_MS)
      await this.done()
      clearTimeout(timer)
      // Whatever outlived strace (a child that left the process group) goes too.
      if (launched) signalAll(child, this.processes(), 'SIGKILL')
      this.watchdog?.kill('SIGKILL')
    })()
    return this.stopping
  }
}

/**
 * A launched program must not outlive the lab, even one killed with SIGKILL (no exit hook
 * runs then). strace cannot see to it: when strace dies, the kernel detaches its tracees and
 * they run on. So a tiny shell in its own process group (out of reach of a kill of the
 * lab's group) waits on a pipe from the lab; the kernel closes the pipe when the lab dies,
 * however it dies, and the shell then kills the program's process group (strace's, which
 * the program and its children inherit). A clean stop kills the shell first.
 */
function startWatchdog(groupId: number): ChildProcess {
  const watchdog = spawn('sh', ['-c', 'read _; kill -s KILL -- "-$1" 2>/dev/null', 'sockscope-trace-watchdog', String(groupId)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  watchdog.on('error', () => {}) // no sh: the exit hook and stop() still end the program
  // Neither the shell nor its pipe keeps the lab's event loop alive.
  watchdog.unref()
  ;(watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  return watchdog
}

function signalAll(child: ChildProcess, pids: number[], signal: NodeJS.Signals): void {
  if (child.pid !== undefined)
    try {
      process.kill(-child.pid, signal)
    } catch {}
  for (const pid of pids)
    try {
      process.kill(pid, signal)
    } catch {}
}

/** A running process's threads (Linux: /proc/PID/task), so that an attached trace knows whose they are. */
function threadsOf(pid: number): Map<number, number> {
  const threads = new Map<number, number>([[pid, pid]])
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) threads.set(Number(tid), pid)
  } catch {}
  return threads
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const run of live) run.killNow()
  })
}
