import { clockFromEnv } from '../clock.ts'
import { EventEmitter } from '../emitter.ts'
import { toErrorInfo } from '../errors.ts'
import type { Role } from '../events.ts'
import type { ChildToLab, LabToChild } from './protocol.ts'

/**
 * The lab side of life inside a process the lab started: send messages to the lab, stop
 * when told, and never outlive the lab (its IPC channel closing means it is gone).
 */
export function sendToLab(message: ChildToLab): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve()
    process.send!(message, undefined, {}, () => resolve())
  })
}

export function createProcessEmitter(role: Role, run: string): EventEmitter {
  return new EventEmitter({
    clock: clockFromEnv(),
    source: { role, run, pid: process.pid, tid: 0 },
    sink: (events, upTo) => void sendToLab({ type: 'events', events, upTo }),
  })
}

export interface ChildLifecycle<Start extends LabToChild> {
  /** Run when the lab says start; resolve when ready (or throw a coded error). */
  start(message: Start): Promise<void>
  /** Release everything; must be safe to call in any state. */
  stop(): Promise<void>
}

/** How long a process the lab started may take to stop before it exits regardless. */
const STOP_DEADLINE_MS = 1000

export function runChildProcess<Start extends LabToChild>(startType: Start['type'], lifecycle: ChildLifecycle<Start>): void {
  let stopping: Promise<void> | undefined
  const stopAndExit = (code: number) => {
    stopping ??= (async () => {
      // A stop that hangs must not keep the process: with the lab gone (its channel
      // closed) nobody else would end it. Unref'd, so it never holds up a quick exit.
      setTimeout(() => process.exit(code), STOP_DEADLINE_MS).unref()
      await lifecycle.stop().catch(() => {})
      process.exit(code)
    })()
  }
  if (!process.send) {
    console.error('sockscope: this script is started by the lab, not by hand')
    process.exit(2)
  }
  process.on('disconnect', () => stopAndExit(0))
  process.on('SIGTERM', () => stopAndExit(0))
  process.on('message', (message: LabToChild) => {
    if (message?.type === startType) {
      lifecycle.start(message as Start).catch(async (err) => {
        await sendToLab({ type: 'fatal', error: toErrorInfo(err) })
        stopAndExit(1)
      })
    } else if (message?.type === 'stop') stopAndExit(0)
  })
}
