import { type ChildProcess, fork } from 'node:child_process'
import { EventEmitter as NodeEmitter } from 'node:events'
import { ORIGIN_ENV } from '../clock.ts'
import { CHILD_EXEC_ARGV, childEnv } from '../entries.ts'
import { type ErrorInfo, SockscopeError } from '../errors.ts'
import type { SockscopeEvent } from '../events.ts'
import { parseEventLines } from '../event-text.ts'
import { checkEventBatch, type ChildToLab, ChildToLabSchema, type LabToChild } from '../host/protocol.ts'

export type ProcessState = 'starting' | 'running' | 'stopping' | 'stopped'

/**
 * How long stop() waits for a process to exit on its own before it kills its group. A
 * host whose thread runs stops in 50–150 ms (fork, with children to end, is the slowest)
 * and gives itself at most STOP_DEADLINE_MS without progress (750 ms, host/child-channel.ts) before it
 * exits regardless; one that has not gone by this time cannot answer (a select server
 * asleep in its --delay, a handler spinning on the main thread), and waiting longer would
 * not help it.
 */
export const STOP_GRACE_MS = 1000

/**
 * A process still sending its last batches is not hung, so the grace counts again from
 * each message it sends (its backlog is bounded, emitter.ts's EVENTS_IN_FLIGHT); but no
 * stop waits longer than this in all.
 */
export const STOP_DRAIN_MAX_MS = 10_000

/** Every process any lab started, so that none outlives this one, however it ends. */
const live = new Set<ChildProcess>()
let exitHookInstalled = false

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  // The child leads its own process group: this reaches its forked handlers too.
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {}
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) killTree(child, 'SIGKILL')
  })
}

export interface ManagedProcessEvents {
  message: [ChildToLab]
  invalid: [ErrorInfo]
  exit: [{ code: number | null; signal: string | null; expected: boolean }]
}

/**
 * A process started by the lab, with an explicit lifecycle (starting → running →
 * stopping → stopped). stop() is idempotent: it asks the process to stop, and kills its
 * whole process group if it has not gone within the grace period.
 */
export class ManagedProcess extends NodeEmitter<ManagedProcessEvents> {
  state: ProcessState = 'starting'
  readonly child: ChildProcess
  private stopping: Promise<void> | undefined
  private readonly exited: Promise<void>

  constructor(entry: string, originNs: bigint) {
    super()
    installExitHook()
    this.child = fork(entry, [], {
      execArgv: CHILD_EXEC_ARGV,
      serialization: 'advanced',
      detached: true,
      env: childEnv({ [ORIGIN_ENV]: String(originNs) }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    live.add(this.child)
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after the IPC channel has delivered every message,
      // so a fatal error the process reported is seen before its exit is judged.
      this.child.once('close', (code, signal) => {
        live.delete(this.child)
        // Forked handlers left behind by a crashed host go with it.
        killTree(this.child, 'SIGKILL')
        const expected = this.state === 'stopping'
        this.state = 'stopped'
        this.emit('exit', { code, signal, expected })
        resolve()
      })
    })
    this.child.on('error', (err) => this.emit('invalid', { code: 'HOST_CRASHED', message: err.message }))
    this.child.on('message', (raw: unknown) => {
      if ((raw as { type?: unknown } | null)?.type === 'events') return this.receiveEvents(raw as Record<string, unknown>)
      const parsed = ChildToLabSchema.safeParse(raw)
      if (parsed.success) {
        // A process that reports a fatal error is about to exit on purpose.
        if (parsed.data.type === 'fatal') this.state = 'stopping'
        this.emit('message', parsed.data as ChildToLab)
      }
      else this.emit('invalid', { code: 'BAD_MESSAGE', message: `malformed message from pid ${this.pid}: ${parsed.error.issues[0]?.message}` })
    })
  }

  /** A batch of events, as objects or as JSON lines: checked, then handed on as objects. */
  private receiveEvents(raw: Record<string, unknown>): void {
    let message = raw as { upTo?: unknown; events?: unknown }
    if (typeof raw.lines === 'string') {
      try {
        message = { upTo: raw.upTo, events: parseEventLines(raw.lines) }
      } catch {
        return void this.emit('invalid', { code: 'BAD_MESSAGE', message: `malformed message from pid ${this.pid}: events: a line that is not JSON` })
      }
    }
    const problem = checkEventBatch(message)
    if (problem) return void this.emit('invalid', { code: 'BAD_MESSAGE', message: `malformed message from pid ${this.pid}: ${problem}` })
    this.emit('message', { type: 'events', events: message.events as SockscopeEvent[], upTo: message.upTo as number })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  send(message: LabToChild): void {
    // A process that is exiting (a fatal error, a crash) closes its end first: the write
    // fails with EPIPE. That is no problem of its own: 'close' judges how it ended.
    if (this.child.connected) this.child.send(message, (err) => void err)
  }

  /** Resolves with the process's first message of `type`, or rejects on fatal / exit. */
  waitFor<T extends ChildToLab['type']>(type: T): Promise<Extract<ChildToLab, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: ChildToLab) => {
        if (message.type === type) done(() => resolve(message as Extract<ChildToLab, { type: T }>))
        else if (message.type === 'fatal') done(() => reject(SockscopeError.from(message.error as ErrorInfo)))
      }
      const onExit = ({ code, signal }: { code: number | null; signal: string | null }) =>
        done(() => reject(new SockscopeError('HOST_CRASHED', `process ${this.pid} ended (${signal ?? `exit code ${code}`}) before it was ready`)))
      const done = (settle: () => void) => {
        this.off('message', onMessage)
        this.off('exit', onExit)
        settle()
      }
      this.on('message', onMessage)
      this.on('exit', onExit)
    })
  }

  /** Kill its whole process group now, without asking: for a stop that has no time left. */
  kill(): void {
    if (this.state !== 'stopped') killTree(this.child, 'SIGKILL')
  }

  stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    this.stopping ??= (async () => {
      this.state = 'stopping'
      this.send({ type: 'stop' })
      const kill = () => killTree(this.child, 'SIGKILL')
      let timer = setTimeout(kill, graceMs)
      const latest = setTimeout(kill, Math.max(graceMs, STOP_DRAIN_MAX_MS))
      const talking = () => {
        clearTimeout(timer)
        timer = setTimeout(kill, graceMs)
      }
      this.child.on('message', talking)
      await this.exited
      clearTimeout(timer)
      clearTimeout(latest)
      this.child.off('message', talking)
    })()
    return this.stopping
  }
}
