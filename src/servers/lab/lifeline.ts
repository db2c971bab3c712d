import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseCmdline, parseStat } from '../os/proc-parse.ts'

/**
 * Why a host of the lab (the CLI, web mode, Electron's main process) must stop: a signal
 * that asks it to, or — with `orphan` on — the process that started it gone.
 */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'orphaned'

/**
 * SIGHUP too: a closed terminal sends it, and its default action ends the process on the
 * spot, without the 'exit' hook that kills what the lab started. Node resets every signal
 * to its default at start-up, so a SIGHUP that `nohup` ignored is not ignored here either.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** Set by scripts/node24.mjs for the Node 24 process it starts: "your parent is only me, a launcher". */
export const LAUNCHER_ENV = 'SOCKSCOPE_LAUNCHER_PID'

export interface LifelineOptions {
  /**
   * Also stop when the process that started this one goes away. Node has no
   * prctl(PR_SET_PDEATHSIG), and a parent's death sends nothing, so this polls: our own
   * ppid, and the ppid of each launcher in between that only waits for us (npm exec's
   * `sh -c`, the Node 24 launcher). `kill $!` of a background `npx sockscope serve`
   * kills npm's shell, not the lab; npm killed alone orphans its shell, which lives on.
   * For CLI hosts; not for a desktop app, whose launcher may well exit once it started it.
   */
  orphan?: boolean
  /** How often the ancestors are looked at (ms); default 200. */
  intervalMs?: number
}

/**
 * Calls `onStop` once, on the first stop signal or (with `orphan`) the first sign that
 * the parent is gone; later signals are absorbed, so that a second Ctrl-C or a terminal's
 * SIGHUP after a `kill` cannot end the process mid-stop by a signal's default action.
 * Returns a function that removes every handler.
 */
export function watchLifeline(onStop: (reason: StopReason) => void, options: LifelineOptions = {}): () => void {
  let fired = false
  const fire = (reason: StopReason) => {
    if (fired) return
    fired = true
    onStop(reason)
  }
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => fire(signal)
    process.on(signal, handler)
    return [signal, handler] as const
  })
  let timer: NodeJS.Timeout | undefined
  if (options.orphan) {
    const ancestors = watchedAncestors()
    timer = setInterval(() => {
      if (ancestors.some((a) => !stillThere(a))) fire('orphaned')
    }, options.intervalMs ?? 200)
    // Watching must never be what keeps the process alive.
    timer.unref()
  }
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
    clearInterval(timer)
  }
}

/** A process and the parent it had when we looked first; a new parent means the old one is gone. */
interface Ancestor {
  pid: number
  ppid: number
}

/** How far up a chain of pass-through launchers is followed (npx: sh, then npm). */
const MAX_LAUNCHERS = 4

function watchedAncestors(): Ancestor[] {
  const self: Ancestor = { pid: process.pid, ppid: process.ppid }
  // Started by init or a container runtime: there is no parent to lose.
  if (self.ppid <= 1) return []
  const chain = [self]
  if (process.platform !== 'linux') return chain
  let pid = self.ppid
  for (let i = 0; i < MAX_LAUNCHERS && isLauncher(pid); i++) {
    const stat = readStat(pid)
    if (!stat || stat.ppid <= 1) break
    chain.push({ pid, ppid: stat.ppid })
    pid = stat.ppid
  }
  return chain
}

function stillThere(ancestor: Ancestor): boolean {
  if (ancestor.pid === process.pid) return process.ppid === ancestor.ppid
  const stat = readStat(ancestor.pid)
  // Gone, exited (a zombie waits only to be reaped), or reparented (its parent exited).
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.ppid === ancestor.ppid
}

/** A process whose only job is to wait for its child: `sh -c …`, or our own Node 24 launcher. */
function isLauncher(pid: number): boolean {
  if (String(pid) === process.env[LAUNCHER_ENV]) return true
  try {
    const [argv0, flag] = parseCmdline(readFileSync(`/proc/${pid}/cmdline`))
    return flag === '-c' && ['sh', 'dash', 'bash', 'zsh', 'ksh', 'ash'].includes(path.basename(argv0 ?? ''))
  } catch {
    return false
  }
}

function readStat(pid: number) {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}
