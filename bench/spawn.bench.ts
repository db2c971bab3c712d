/**
 * Fork and thread servers' costs, against raw Node in the same run (issue 12):
 *  - accept → first recv in a burst of 8 clients (p50, max): how long a connection waits
 *    for the process or thread that serves it (asyncio beside them: no start at all);
 *  - round trips/s at 10 and 100 connections (64-byte ping-pong from a load process of
 *    its own), and the ratio to a raw Node echo server;
 *  - the thread server's RSS holding 500 connections, each served.
 * Every event is recorded and merged by a real lab, as in the app.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { connId } from '../src/servers/connection-id.ts'
import type { SockscopeEvent } from '../src/servers/events.ts'
import { Lab } from '../src/servers/lab/lab.ts'
import { SPARES } from '../src/servers/models/spares.ts'
import type { ServerSpecInput } from '../src/servers/spec.ts'
import type { BenchResult } from './run.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const BURST = 8
const SECONDS = 3

interface Server {
  port: number
  pid: number
  events: SockscopeEvent[]
  stop(): Promise<void>
}

async function labServer(spec: ServerSpecInput): Promise<Server> {
  const lab = new Lab()
  const events: SockscopeEvent[] = []
  lab.onEvents((batch) => {
    for (const e of batch) events.push(e)
  })
  const run = await lab.startServer({ port: 0, app: 'echo', ...spec })
  return { port: run.ports[0]!, pid: run.pid, events, stop: () => lab.stop() }
}

/** A raw Node echo server in a process of its own: what the machine does without Sockscope. */
async function rawNode(): Promise<Server> {
  const source = `const net=require('node:net');const s=net.createServer(c=>{c.setNoDelay(true);c.on('data',d=>c.write(d));c.on('error',()=>{})});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  return { port: Number(line.toString()), pid: child.pid!, events: [], stop: async () => void child.kill() }
}

async function pingPong(port: number, connections: number): Promise<number> {
  const load = spawn(process.execPath, [path.join(here, 'spawn', 'pingpong.ts'), String(port), String(connections), String(SECONDS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  load.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  await once(load, 'exit')
  return (JSON.parse(out) as { roundTripsPerS: number }).roundTripsPerS
}

/** `count` clients connect at once and each sends a line as soon as it is connected; they stay until closed. */
async function connectBurst(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () => new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.write('ping\n')
        resolve(socket)
      })
      socket.once('error', reject)
    })),
  )
}

async function untilEvery(events: SockscopeEvent[], conns: readonly string[], kind: SockscopeEvent['kind'], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  const done = () => conns.every((c) => events.some((e) => e.kind === kind && e.src.role === 'server' && 'conn' in e && e.conn === c))
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not every connection saw ${kind} in ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`

/** accept → the handler's first recv, per connection, in a burst of BURST. */
async function burst(model: string): Promise<BenchResult> {
  const server = await labServer({ model })
  try {
    // The burst comes once the server's spares are started, as a lesson's clients come after
    // its server: the kernel lists all of them (the last may still be booting), then a moment more.
    const deadline = Date.now() + 60_000
    while (model !== 'asyncio' && handlers(server.pid, model) < SPARES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 1000))
    const sockets = await connectBurst(server.port, BURST)
    const conns = sockets.map((s) => connId(s.localPort!, server.port))
    await untilEvery(server.events, conns, 'recv')
    const waits = conns
      .map((conn) => {
        const on = (kind: string) => server.events.find((e) => e.kind === kind && e.src.role === 'server' && 'conn' in e && e.conn === conn)!.t
        return on('recv') - on('accept')
      })
      .sort((a, b) => a - b)
    for (const s of sockets) s.destroy()
    return { name: `${model}: accept → first recv, burst of ${BURST}`, figures: { p50: ms(quantile(waits, 0.5)), max: ms(waits.at(-1)!) } }
  } finally {
    await server.stop()
  }
}

/** Handler processes (fork: the server's children) or threads (thread: named handler-N) the kernel lists. */
function handlers(pid: number, model: string): number {
  let count = 0
  if (model === 'thread') {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('handler-')) count++
      } catch {}
    }
    return count
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) count++
    } catch {}
  }
  return count
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!
  return Math.round(Number(line.split(/\s+/)[1]) / 1024)
}

async function throughput(model: string, connections: number, raw: number): Promise<BenchResult> {
  const server = await labServer({ model, maxThreads: 1000, maxChildren: 1000 })
  try {
    const rate = await pingPong(server.port, connections)
    return {
      name: `${model}: ${connections} connections, 64 B ping-pong`,
      figures: { 'round trips/s': rate, 'raw Node': raw, ratio: `${(rate / raw).toFixed(3)}×`, 'host RSS': `${rssMb(server.pid)} MB` },
    }
  } finally {
    await server.stop()
  }
}

/** The thread server holding `count` connections, every one served a round trip: the host's RSS. */
async function threadsHeld(count: number): Promise<BenchResult> {
  const server = await labServer({ model: 'thread', maxThreads: 1000 })
  const sockets: net.Socket[] = []
  try {
    const before = rssMb(server.pid)
    for (let i = 0; i < count; i += 50) sockets.push(...(await connectBurst(server.port, Math.min(50, count - i))))
    const conns = sockets.map((s) => connId(s.localPort!, server.port))
    const from = performance.now()
    let served = 0
    try {
      await untilEvery(server.events, conns, 'send', 120_000)
      served = count
    } catch {
      served = new Set(server.events.filter((e) => e.kind === 'send' && e.src.role === 'server').map((e) => (e as { conn: string }).conn)).size
    }
    const held = rssMb(server.pid)
    return {
      name: `thread: ${count} connections held`,
      figures: {
        served: `${served}/${count} in ${((performance.now() - from) / 1000).toFixed(1)} s`,
        'host RSS': `${held} MB`,
        idle: `${before} MB`,
        'per connection': `${((held - before) / count).toFixed(1)} MB`,
      },
    }
  } finally {
    for (const s of sockets) s.destroy()
    await server.stop()
  }
}

/** Which parts to run: SPAWN_BENCH=burst,rate,held (all by default). */
const parts = new Set((process.env.SPAWN_BENCH ?? 'burst,rate,held').split(','))

export default async function spawnBench(): Promise<BenchResult[]> {
  const results: BenchResult[] = []
  if (parts.has('burst')) for (const model of ['asyncio', 'fork', 'thread']) results.push(await burst(model))
  const raw = await rawNode()
  try {
    if (parts.has('rate')) for (const connections of [10, 100]) {
      const rawRate = await pingPong(raw.port, connections)
      results.push({ name: `raw Node echo: ${connections} connections`, figures: { 'round trips/s': rawRate } })
      for (const model of ['fork', 'thread']) results.push(await throughput(model, connections, rawRate))
    }
  } finally {
    await raw.stop()
  }
  if (parts.has('held')) results.push(await threadsHeld(Number(process.env.SPAWN_BENCH_THREADS ?? 500)))
  return results
}
