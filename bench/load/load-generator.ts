/**
 * The load benchmark's parts, for any bench file to call: the C load generator (compiled
 * at first use into a cache outside the repository), the servers it drives (a `sockscope
 * serve --quiet --app echo` run in one model, a raw Node `net` echo server as the yardstick,
 * a C epoll echo server to show the generator is not the bottleneck), the servers' RSS read
 * from /proc, and the count of what a trace recorded.
 *
 *   const gen = await loadGenerator()
 *   const server = await startSockscope('select', { trace: true })
 *   const load = await gen.run({ port: server.port, connections: 100, durationMs: 3000 })
 *   const rss = server.peakRss()            // sampled while the load ran
 *   const counts = await server.stop()      // what the trace recorded, once it is closed
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs'
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..', '..')
const SOURCE = path.join(here, 'loadgen.c')
const CLI = path.join(root, 'src', 'servers', 'cli', 'sockscope.ts')
const run = promisify(execFile)

export interface LoadOptions {
  host?: string
  port: number
  connections: number
  /** How long every connection pings, once all are served. */
  durationMs: number
  /** Bytes per ping (and pong); default 64. */
  size?: number
  /** At most this many connections opened and not yet served at once (default 256): a burst that never overflows the listen backlog. */
  window?: number
  /** Give up on opening the connections after this long (default 120 s). */
  timeoutMs?: number
}

/** What the generator measured (its JSON line). */
export interface LoadResult {
  connections: number
  /** Connections that got their first ping echoed. */
  served: number
  errors: number
  connectErrors: number
  firstError: string
  /** ms from the first connect() to the last handshake completed. */
  connectMs: number
  /** ms from the first connect() to the last connection's first echo: accepted and served. */
  serveMs: number
  /** The longest one connection waited from connect() to its first echo (ms). */
  maxServeMs: number
  pingMs: number
  roundTrips: number
  roundTripsPerSecond: number
  perConnection: { min: number; median: number; max: number }
  bytesSent: number
  bytesReceived: number
  cpuUserMs: number
  cpuSystemMs: number
}

export interface LoadGenerator {
  binary: string
  run(options: LoadOptions): Promise<LoadResult>
}

/** The generator, compiled once per source version into the user's cache (not the repo). */
export async function loadGenerator(): Promise<LoadGenerator> {
  const source = readFileSync(SOURCE)
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12)
  const cacheDir = path.join(root, 'node_modules', '.cache', 'sockscope-load')
  const binary = path.join(existsSync(path.join(root, 'node_modules')) ? cacheDir : path.join(os.tmpdir(), 'sockscope-load'), `loadgen-${hash}`)
  if (!existsSync(binary)) {
    mkdirSync(path.dirname(binary), { recursive: true })
    const cc = process.env.CC ?? 'cc'
    try {
      await run(cc, ['-O2', '-o', binary, SOURCE])
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string }
      if (e.code === 'ENOENT') throw new Error(`the load benchmark compiles its C load generator and needs a C compiler: '${cc}' was not found (install gcc or clang, or set CC)`)
      throw new Error(`compiling ${path.relative(root, SOURCE)} with ${cc} failed:\n${e.stderr ?? e.message}`)
    }
  }
  return {
    binary,
    async run(o: LoadOptions): Promise<LoadResult> {
      const args = ['run', o.host ?? '127.0.0.1', String(o.port), String(o.connections), String(o.durationMs), String(o.size ?? 64), String(o.window ?? 256), String(o.timeoutMs ?? 120_000)]
      try {
        const { stdout } = await run(binary, args, { maxBuffer: 1024 * 1024 })
        return JSON.parse(stdout) as LoadResult
      } catch (err) {
        const e = err as { code?: number; stderr?: string; message: string }
        if (e.code === 3) throw new Error(`the load generator cannot open ${o.connections} connections: ${e.stderr?.trim()}`)
        throw new Error(`the load generator failed (exit ${e.code}): ${e.stderr?.trim() || e.message}`)
      }
    },
  }
}

export interface RunningServer {
  name: string
  port: number
  /** The process that was started (for sockscope: the CLI, which runs the lab). */
  pid: number
  /** RSS now, in bytes: the whole process tree, and the largest single process in it. */
  rss(): { treeBytes: number; largestBytes: number; processes: number }
  /** The largest tree RSS seen since the server started (sampled every 250 ms). */
  peakRss(): { treeBytes: number; largestBytes: number }
  /** CPU time (user + system, ms) each process of the tree has used so far, by pid; the root's first. */
  cpu(): Map<number, number>
  /** The trace file it writes, if it writes one. */
  tracePath?: string
  /** Sockets open in the process tree now (from /proc/<pid>/fd). */
  sockets(): number
  /** Stop it; for a sockscope server with a trace, what the trace recorded. */
  stop(): Promise<TraceCounts | undefined>
}

/** What a trace recorded, counted the way a reader of the file would: every line parsed. */
export interface TraceCounts {
  events: number
  byKind: Record<string, number>
  /** Server side, summed over every recv / send event. */
  recvBytes: number
  sendBytes: number
  ended: string | null
  traceBytes: number
}

/** A `sockscope serve --quiet --app echo --model <model>` run; with a trace file (in a temp dir) if asked. */
export async function startSockscope(model: string, options: { trace?: boolean; args?: string[]; nodeArgs?: string[] } = {}): Promise<RunningServer> {
  const dir = options.trace ? mkdtemp() : undefined
  const trace = dir ? path.join(dir, 'load.trace.ndjson') : undefined
  const args = [...(options.nodeArgs ?? []), CLI, 'serve', '--quiet', '--app', 'echo', '--model', model, '--port', '0', ...(trace ? ['--trace', trace] : []), ...(options.args ?? [])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const server = await listening(`sockscope ${model}`, child)
  return {
    ...server,
    tracePath: trace,
    async stop() {
      await server.stop()
      if (!trace) return undefined
      try {
        return await countTrace(trace)
      } finally {
        rmSync(dir!, { recursive: true, force: true })
      }
    },
  }
}

/** The yardstick: Node's own `net` echo server, in a process of its own like the server host. */
export function startRawNode(): Promise<RunningServer> {
  const script = `
    const net = require('node:net')
    const server = net.createServer((s) => { s.setNoDelay(true); s.on('data', (d) => s.write(d)); s.on('error', () => {}) })
    server.listen({ port: 0, host: '127.0.0.1', backlog: 511 }, () => console.log('listening on 127.0.0.1:' + server.address().port))`
  return listening('raw Node', spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }))
}

/** A C epoll echo server (the generator's own), to measure what the generator can drive. */
export function startCEcho(generator: LoadGenerator): Promise<RunningServer> {
  return listening('C epoll echo', spawn(generator.binary, ['echo', '0'], { stdio: ['ignore', 'pipe', 'pipe'] }))
}

async function listening(name: string, child: ChildProcess): Promise<RunningServer> {
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`${name} did not start listening in 30 s: ${stderr}`)), 30_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on [^\s]+:(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited (${code}) before listening: ${stderr}`))
    })
  })
  const pid = child.pid!
  let peak = { treeBytes: 0, largestBytes: 0 }
  const rss = () => treeRss(pid)
  const sampler = setInterval(() => {
    const now = rss()
    if (now.treeBytes > peak.treeBytes) peak = { treeBytes: now.treeBytes, largestBytes: Math.max(peak.largestBytes, now.largestBytes) }
    else peak.largestBytes = Math.max(peak.largestBytes, now.largestBytes)
  }, 250)
  return {
    name,
    port,
    pid,
    rss,
    peakRss: () => ({ ...peak }),
    cpu: () => new Map(treePids(pid).map((p) => [p, cpuMs(p)] as const)),
    sockets: () => treePids(pid).reduce((n, p) => n + socketCount(p), 0),
    async stop() {
      clearInterval(sampler)
      if (stderr.trim() && name.startsWith('sockscope')) console.error(`  ${name} said: ${stderr.trim()}`)
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        let killed = false
        const timer = setTimeout(() => {
          killed = true
          child.kill('SIGKILL')
        }, 30_000)
        await exited
        clearTimeout(timer)
        if (killed) throw new Error(`${name} did not stop within 30 s of SIGTERM: killed${stderr ? `; it said: ${stderr.trim()}` : ''}`)
      }
      return undefined
    },
  }
}

/** The process and its descendants (from /proc/<pid>/task/<tid>/children), with their RSS. */
export function treeRss(pid: number): { treeBytes: number; largestBytes: number; processes: number } {
  let treeBytes = 0
  let largestBytes = 0
  let processes = 0
  for (const p of treePids(pid)) {
    let status: string
    try {
      status = readFileSync(`/proc/${p}/status`, 'utf8')
    } catch {
      continue
    }
    const bytes = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
    treeBytes += bytes
    largestBytes = Math.max(largestBytes, bytes)
    processes++
  }
  return { treeBytes, largestBytes, processes }
}

function treePids(pid: number): number[] {
  const pids: number[] = []
  const pending = [pid]
  while (pending.length) {
    const p = pending.pop()!
    pids.push(p)
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim()
        if (children) pending.push(...children.split(' ').map(Number))
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

const TICKS_PER_SECOND = 100 // USER_HZ: what /proc/<pid>/stat counts in, on every Linux

/** User + system CPU a process has used (ms), from /proc/<pid>/stat; 0 if it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}

function socketCount(pid: number): number {
  let n = 0
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // gone
  }
  return n
}

export async function countTrace(file: string): Promise<TraceCounts> {
  const byKind: Record<string, number> = {}
  let events = 0
  let recvBytes = 0
  let sendBytes = 0
  let ended: string | null = null
  let first = true
  const lines = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })
  for await (const line of lines) {
    if (first) {
      first = false
      ended = (JSON.parse(line) as { ended: string | null }).ended
      continue
    }
    if (!line) continue
    const e = JSON.parse(line) as { kind: string; bytes?: number; src: { role: string } }
    events++
    byKind[e.kind] = (byKind[e.kind] ?? 0) + 1
    if (e.src.role === 'server') {
      if (e.kind === 'recv') recvBytes += e.bytes!
      else if (e.kind === 'send') sendBytes += e.bytes!
    }
  }
  return { events, byKind, recvBytes, sendBytes, ended, traceBytes: statSync(file).size }
}

function mkdtemp(): string {
  const dir = path.join(os.tmpdir(), `sockscope-load-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** The soft and hard limits on open descriptors this process (and so the servers it starts) has. */
export function descriptorLimit(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8')
  const m = /Max open files\s+(\S+)\s+(\S+)/.exec(limits)
  const n = (s: string | undefined) => (s === 'unlimited' || !s ? Infinity : Number(s))
  return { soft: n(m?.[1]), hard: n(m?.[2]) }
}
