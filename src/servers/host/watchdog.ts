import { SHARE_ENV, Worker } from 'node:worker_threads'

/**
 * How often the watchdog looks for the lab, and how long it then leaves the main thread
 * to stop on its own (its IPC channel closed too, so a thread that is not blocked is
 * already stopping) before it kills the process group. Together with the kill itself,
 * a host is gone well within a second of its lab.
 */
export const WATCHDOG_INTERVAL_MS = 100
export const WATCHDOG_GRACE_MS = 300

/**
 * The watchdog's thread, as plain JavaScript: it is evaluated as is, from a source
 * checkout and from a bundle alike, so it needs no entry file of its own.
 *
 * The lab is gone when this process has a new parent (the kernel reparents an orphan at
 * once, even while the dead lab waits as a zombie) or when the lab's pid no longer exists
 * (Windows never reparents). The kill takes the whole process group: the host leads its
 * own (the lab starts it detached), so forked handlers go with it.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads')
const { labPid, intervalMs, graceMs } = workerData
const labGone = () => {
  if (process.ppid !== labPid) return true
  try {
    process.kill(labPid, 0)
    return false
  } catch (err) {
    return err.code === 'ESRCH'
  }
}
const killAll = () => {
  try {
    process.kill(-process.pid, 'SIGKILL')
  } catch {
    process.kill(process.pid, 'SIGKILL')
  }
}
const timer = setInterval(() => {
  if (!labGone()) return
  clearInterval(timer)
  setTimeout(killAll, graceMs)
}, intervalMs)
`

/**
 * A thread that ends this process once the lab that started it is gone. The main thread
 * notices that too (its IPC channel closes), but only when it gets to run: a select
 * server's simulated `--delay` blocks it in Atomics.wait for up to an hour, and a server
 * left listening with nobody to stop it is an orphan. The watchdog shares nothing with
 * that thread but the process, and it never keeps the process alive by itself.
 */
export function startWatchdog(labPid: number = process.ppid): Worker {
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { labPid, intervalMs: WATCHDOG_INTERVAL_MS, graceMs: WATCHDOG_GRACE_MS },
    // No resourceLimits: a tight heap makes V8 fail while it sets the thread up, and that
    // failure is fatal to the whole process. A default worker costs the host ~13 MB of RSS.
    env: SHARE_ENV,
  })
  worker.unref()
  // A watchdog that could not start leaves the host as it was before watchdogs: never fatal.
  worker.on('error', () => {})
  return worker
}
