/**
 * What serving costs, with every event recorded: the C load generator (bench/load/) doing
 * 64-byte ping-pong against `sockscope serve --quiet --app echo --trace …` in the event-loop
 * models, beside a raw Node `net` echo server in the same run (the ratio is the figure that
 * survives a busy machine). For each: round trips/s, × raw Node, what the trace recorded
 * against what the generator sent (accepts, closes and received bytes: "lost" is what the
 * trace is missing), the server's peak RSS (the whole process tree: the CLI's lab, the
 * server host), and the CPU the server's processes used per round trip (user + system, from
 * /proc: the figure that a machine busy with other work changes least). Then C10k: 10,000 connections opened, accepted and each served a first
 * echo, timed against raw Node. First, the generator against a C epoll echo server: what it
 * can drive, so that raw Node's figure is raw Node's and not the generator's.
 *
 * Quick by default (2 s of ping-pong per run); SOCKSCOPE_BENCH_LOAD=full runs 5 s each.
 * Last, the event pipeline alone at full speed (bench/load/pipeline.ts): events/s from a
 * process stamping them to the renderer's store, through the lab, its trace and a WebSocket.
 * SOCKSCOPE_BENCH_MODELS=select,reactor picks the models; SOCKSCOPE_BENCH_LOAD_PARTS=ceiling,100,1000,c10k,pipeline
 * the parts.
 */
import { statSync } from 'node:fs'
import { measurePipeline } from './load/pipeline.ts'
import type { BenchResult } from './run.ts'
import { descriptorLimit, loadGenerator, type LoadGenerator, type LoadResult, type RunningServer, startCEcho, startRawNode, startSockscope, type TraceCounts } from './load/load-generator.ts'

const FULL = process.env.SOCKSCOPE_BENCH_LOAD === 'full'
const DURATION_MS = FULL ? 5000 : 2000
const MODELS = (process.env.SOCKSCOPE_BENCH_MODELS ?? 'select,asyncio,reactor').split(',').filter(Boolean)
const C10K = 10_000
/** Which parts run: SOCKSCOPE_BENCH_LOAD_PARTS=ceiling,100,1000,c10k,pipeline (default all). */
const PARTS = (process.env.SOCKSCOPE_BENCH_LOAD_PARTS ?? 'ceiling,100,1000,c10k,pipeline').split(',')

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`

export default async function loadBench(): Promise<BenchResult[]> {
  const generator = await loadGenerator()
  const results: BenchResult[] = []
  if (PARTS.includes('ceiling')) results.push(await generatorCeiling(generator))
  for (const connections of [100, 1000].filter((n) => PARTS.includes(String(n)))) {
    const raw = await measure(generator, () => startRawNode(), connections, DURATION_MS)
    results.push(row(`raw Node echo, ${connections} connections`, raw))
    for (const model of MODELS) {
      const m = await measure(generator, () => startSockscope(model, { trace: true }), connections, DURATION_MS)
      results.push(row(`${model}, ${connections} connections`, m, raw))
    }
  }
  if (PARTS.includes('c10k')) results.push(...(await c10k(generator)))
  if (PARTS.includes('pipeline')) results.push(await pipeline())
  return results
}

interface Measured {
  load: LoadResult
  peak: { treeBytes: number; largestBytes: number }
  trace: TraceCounts | undefined
  /** CPU the server's whole process tree used while the generator ran (ms). */
  cpuMs: number
}

async function measure(generator: LoadGenerator, start: () => Promise<RunningServer>, connections: number, durationMs: number): Promise<Measured> {
  const server = await start()
  let stopped = false
  try {
    const before = server.sockets()
    const cpuBefore = server.cpu()
    const load = await generator.run({ port: server.port, connections, durationMs })
    const cpuMs = [...server.cpu()].reduce((sum, [pid, ms]) => sum + ms - (cpuBefore.get(pid) ?? 0), 0)
    const peak = server.peakRss()
    // The generator closed every connection before it reported: stop once the server has
    // closed its side of each (its socket count is back where it was), so the trace has every close.
    const deadline = Date.now() + 30_000
    while (server.sockets() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    // A stop signal ends the CLI within a second, trace written or not (Lab.installSignalHandlers):
    // wait until the lab has caught up, its trace no longer growing, so the count is of everything.
    if (server.tracePath) await untilStill(server.tracePath, deadline + 30_000)
    stopped = true
    const trace = await server.stop()
    return { load, peak, trace, cpuMs }
  } finally {
    if (!stopped) await server.stop()
  }
}

async function untilStill(file: string, deadline: number): Promise<void> {
  let size = -1
  while (Date.now() < deadline) {
    const now = statSync(file).size
    if (now === size) return
    size = now
    await new Promise((r) => setTimeout(r, 500))
  }
}

function row(name: string, m: Measured, raw?: Measured): BenchResult {
  const { load, peak, trace } = m
  const figures: Record<string, string | number> = {
    'round trips/s': load.roundTripsPerSecond,
  }
  if (raw) figures['× raw Node'] = (load.roundTripsPerSecond / raw.load.roundTripsPerSecond).toFixed(2)
  // The figure a busy machine changes least: what one round trip costs the server's processes.
  figures['server CPU µs/round trip'] = ((m.cpuMs * 1000) / Math.max(1, load.roundTrips + load.served)).toFixed(1)
  figures.served = `${load.served}/${load.connections}`
  if (load.errors) figures.errors = `${load.errors} (${load.firstError})`
  if (trace) Object.assign(figures, recorded(trace, load))
  figures['peak RSS'] = mb(peak.treeBytes)
  if (trace) figures['largest process'] = mb(peak.largestBytes)
  figures['generator CPU %'] = Math.round((100 * (load.cpuUserMs + load.cpuSystemMs)) / load.pingMs)
  return { name, figures }
}

/**
 * The trace against the generator: one accept and one server close per connection, and
 * every byte the generator sent received (recv events) on the server side.
 */
function recorded(trace: TraceCounts, load: LoadResult): Record<string, string | number> {
  const accepts = trace.byKind.accept ?? 0
  const closes = trace.byKind.close ?? 0
  const lostBytes = load.bytesSent - trace.recvBytes
  const lost = Math.max(0, load.connections - accepts) + Math.max(0, lostBytes) / 64
  return {
    events: trace.events,
    'events/round trip': (trace.events / Math.max(1, load.roundTrips)).toFixed(1),
    'accept/close': `${accepts}/${closes}`,
    'recv bytes': `${trace.recvBytes}/${load.bytesSent}`,
    lost: lost + (trace.ended === 'clean' ? '' : ` (trace ended ${trace.ended})`),
  }
}

async function generatorCeiling(generator: LoadGenerator): Promise<BenchResult> {
  const m = await measure(generator, () => startCEcho(generator), 100, DURATION_MS)
  const cpu = m.load.cpuUserMs + m.load.cpuSystemMs
  return {
    name: 'generator against C epoll echo, 100 conns',
    figures: { 'round trips/s': m.load.roundTripsPerSecond, 'generator CPU %': Math.round((100 * cpu) / m.load.pingMs), 'round trips per CPU s': Math.round((m.load.roundTrips * 1000) / cpu) },
  }
}

async function c10k(generator: LoadGenerator): Promise<BenchResult[]> {
  const { hard } = descriptorLimit()
  if (hard < C10K + 64) return [{ name: 'C10k', figures: { skipped: `the descriptor hard limit (ulimit -Hn) is ${hard}; 10,000 connections need ${C10K + 64}` } }]
  const results: BenchResult[] = []
  const raw = await measure(generator, () => startRawNode(), C10K, 1000)
  results.push(c10kRow('C10k: raw Node echo', raw))
  for (const model of MODELS) {
    const m = await measure(generator, () => startSockscope(model, { trace: true }), C10K, 1000)
    results.push(c10kRow(`C10k: ${model}`, m, raw))
  }
  return results
}

function c10kRow(name: string, m: Measured, raw?: Measured): BenchResult {
  const { load, trace } = m
  const figures: Record<string, string | number> = {
    served: `${load.served}/${load.connections}`,
    'connect+serve s': (load.serveMs / 1000).toFixed(2),
    'accepts/s': Math.round(load.served / (load.serveMs / 1000)),
  }
  if (raw) figures['× raw Node rate'] = (raw.load.serveMs / load.serveMs).toFixed(2)
  figures['slowest first echo ms'] = Math.round(load.maxServeMs)
  figures['round trips/s held'] = load.roundTripsPerSecond
  if (load.errors) figures.errors = `${load.errors} (${load.firstError})`
  if (trace) {
    const r = recorded(trace, load)
    figures['accept/close'] = r['accept/close']!
    figures.lost = r.lost!
  }
  figures['peak RSS'] = mb(m.peak.treeBytes)
  return { name, figures }
}

async function pipeline(): Promise<BenchResult> {
  const r = await measurePipeline(FULL ? 2_000_000 : 1_000_000)
  return {
    name: `pipeline: ${r.events / 1e6}M events, process → lab → trace + WebSocket → store`,
    figures: {
      'events/s into the store': Math.round(r.events / (r.endToEndMs / 1000)),
      'events/s through the lab': Math.round(r.events / (r.labMs / 1000)),
      traced: r.traced,
      appended: r.appended,
      lost: r.events - Math.min(r.traced, r.appended) + r.invalid,
      'lab CPU µs/event': ((r.labCpuMs * 1000) / r.events).toFixed(2),
    },
  }
}
