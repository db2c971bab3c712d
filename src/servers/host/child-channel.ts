import { clockFromEnv } from '../clock.ts'
import { EventEmitter } from '../emitter.ts'
import { toEventLines } from '../event-text.ts'
import { toErrorInfo } from '../errors.ts'
import type { Role } from '../events.ts'
import type { ChildToLabWire, LabToChild } from './protocol.ts'
import { startWatchdog } from './watchdog.ts'

/**
 * The lab side of life inside a process the lab started: send messages to the lab, stop
 * when told, and never outlive the lab: its IPC channel closing means it is gone, and a
 * watchdog thread (see watchdog.ts) ends the process even while its main thread is blocked.
 */
/** When the channel to the lab last took a message (performance.now() ms): a stop's deadline counts from it. */
let channelMovedAt = performance.now()

export function sendToLab(message: ChildToLabWire): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve()
    process.send!(message, undefined, {}, () => {
      channelMovedAt = performance.now()
      resolve()
    })
  })
}

export function createProcessEmitter(role: Role, run: string): EventEmitter {
  return new EventEmitter({
    clock: clockFromEnv(),
    source: { role, run, pid: process.pid, tid: 0 },
    // As JSON lines: the lab parses them several times faster than it deserializes the
    // same objects, and writes them to the trace as they are.
    // Taken once written into the channel (the send's callback): what waits in this
    // process's user space is what the emitter bounds.
    sink: (events, upTo, taken) => void sendToLab({ type: 'events', lines: toEventLines(events), upTo }).then(taken),
  })
}

export interface ChildLifecycle<Start extends LabToChild> {
  /** Run when the lab says start; resolve when ready (or throw a coded error). */
  start(message: Start): Promise<void>
  /** Release everything; must be safe to call in any state. */
  stop(): Promise<void>
}

/**
 * How long a process the lab started may go without progress while it stops before it
 * exits regardless: well before the lab's own grace (STOP_GRACE_MS, 1 s) ends in a kill,
 * and 5× the slowest stop measured (a fork server with children to end, ~150 ms). It
 * counts from the stop, and again from each batch the channel to the lab takes: a busy
 * server's last batches (at most EVENTS_IN_FLIGHT, emitter.ts) may take the lab longer
 * than that to read, and exiting with them unwritten would lose them.
 */
export const STOP_DEADLINE_MS = 750

export function runChildProcess<Start extends LabToChild>(startType: Start['type'], lifecycle: ChildLifecycle<Start>): void {
  let stopping: Promise<void> | undefined
  const stopAndExit = (code: number) => {
    stopping ??= (async () => {
      // A stop that hangs must not keep the process: with the lab gone (its channel
      // closed) nobody else would end it. Unref'd, so it never holds up a quick exit.
      const stoppedAt = performance.now()
      setInterval(() => {
        if (performance.now() - Math.max(stoppedAt, channelMovedAt) > STOP_DEADLINE_MS) process.exit(code)
      }, 50).unref()
      await lifecycle.stop().catch(() => {})
      process.exit(code)
    })()
  }
  if (!process.send) {
    console.error('sockscope: this script is started by the lab, not by hand')
    process.exit(2)
  }
  startWatchdog()
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
