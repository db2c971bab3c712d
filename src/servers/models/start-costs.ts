import { execFile } from 'node:child_process'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * What starting a process or a thread costs where no runtime has to boot. A Node child
 * or worker must start a V8 isolate (tens to hundreds of ms), which the fork and thread
 * servers therefore do ahead of time (spares.ts); the screen shows, in its place, what
 * os.fork() and threading.Thread.start() cost in Python on this machine: each call timed
 * until it returns in the caller (for start(), that is once the new thread is running),
 * the median of several.
 */
export interface StartCosts {
  /** os.fork(), µs. */
  forkUs: number
  /** threading.Thread.start(), µs. */
  threadUs: number
  /** What was timed, for the screen: the interpreter and how many samples. */
  by: string
}

const SAMPLES = 21

const PROBE = `
import os, sys, threading, time, statistics
def fork_once():
    t0 = time.monotonic_ns()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    t1 = time.monotonic_ns()
    os.waitpid(pid, 0)
    return (t1 - t0) / 1000
def thread_once():
    t = threading.Thread(target=lambda: None)
    t0 = time.monotonic_ns()
    t.start()
    t1 = time.monotonic_ns()
    t.join()
    return (t1 - t0) / 1000
for f in (fork_once, thread_once):
    f()
print(statistics.median(fork_once() for _ in range(${SAMPLES})), statistics.median(thread_once() for _ in range(${SAMPLES})), '%d.%d' % sys.version_info[:2])
`

/** Parse the probe's one line: fork µs, thread µs, Python version. Undefined if it is not that. */
export function parseProbe(line: string): StartCosts | undefined {
  const [fork, thread, version] = line.trim().split(/\s+/)
  const forkUs = Number(fork)
  const threadUs = Number(thread)
  if (!(forkUs > 0) || !(threadUs > 0) || !version) return undefined
  return { forkUs: Math.round(forkUs), threadUs: Math.round(threadUs), by: `Python ${version} on this machine, median of ${SAMPLES}` }
}

/**
 * Kept per boot of the machine: timing it costs a Python start (up to seconds behind a
 * version manager's shim), which every server start would otherwise pay.
 */
function cacheFile(): { file: string; boot: string } | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    return { file: path.join(os.tmpdir(), 'sockscope-start-costs.json'), boot }
  } catch {
    return undefined
  }
}

function cached(): StartCosts | undefined {
  const cache = cacheFile()
  if (!cache) return undefined
  try {
    const saved = JSON.parse(readFileSync(cache.file, 'utf8')) as { boot?: string; costs?: StartCosts }
    const costs = saved.costs
    return saved.boot === cache.boot && costs && costs.forkUs > 0 && costs.threadUs > 0 && typeof costs.by === 'string' ? costs : undefined
  } catch {
    return undefined
  }
}

function save(costs: StartCosts): void {
  const cache = cacheFile()
  if (!cache) return
  try {
    // Written whole under a name of its own, then renamed: a reader never sees half of it.
    const partial = `${cache.file}.${process.pid}`
    writeFileSync(partial, JSON.stringify({ boot: cache.boot, costs }))
    renameSync(partial, cache.file)
  } catch {}
}

let measured: Promise<StartCosts | undefined> | undefined

/**
 * The costs, measured once per machine boot. Undefined where there is no python3 to time
 * them with, or it failed: the screen then says the cost was not measured, rather than
 * showing a number nobody timed.
 */
export function startCosts(): Promise<StartCosts | undefined> {
  measured ??= new Promise((resolve) => {
    const known = cached()
    if (known) return resolve(known)
    execFile('python3', ['-c', PROBE], { timeout: 15_000 }, (err, stdout) => {
      const costs = err ? undefined : parseProbe(stdout)
      if (costs) save(costs)
      resolve(costs)
    })
  })
  return measured
}
