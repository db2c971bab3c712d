/**
 * What watching costs: the process sampler on a tree of 200 real processes (a Python
 * process and its 199 forked descendants, asleep), at 4 and 10 samples a second, with and
 * without socket tables. Figures: the sampling process's CPU use (user + system, % of one
 * core, over the whole run, timers included) and the wall time of one sample.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ProcessSampler } from '../src/servers/os/sampler.ts'
import type { BenchResult } from './run.ts'

const TREE = 200
const RUN_MS = 5000
const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'process_tree.py')

export default async function samplerBench(): Promise<BenchResult[]> {
  // Its own process group, so that one kill ends the whole tree.
  const tree = spawn('python3', [fixture, String(TREE)], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const [first] = (await Promise.race([
      once(tree.stdout!, 'data'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('process tree did not start in 20 s')), 20_000)),
    ])) as [Buffer]
    if (!first.toString().startsWith('ready')) throw new Error(`process tree: ${first}`)
    const results: BenchResult[] = []
    for (const [intervalMs, sockets] of [
      [250, false],
      [250, true],
      [100, false],
      [100, true],
    ] as const) {
      results.push(await measure(tree.pid!, intervalMs, sockets))
    }
    return results
  } finally {
    try {
      process.kill(-tree.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

async function measure(pid: number, intervalMs: number, sockets: boolean): Promise<BenchResult> {
  const times: number[] = []
  let processes = 0
  const sampler = new ProcessSampler({
    roots: [pid],
    intervalMs,
    sockets,
    onSample: (s) => {
      times.push(s.sampleMs)
      processes = s.processes.length
    },
  })
  // The first sample reads every command line once; the steady state is what watching costs.
  await sampler.sample()
  times.length = 0
  const cpu = process.cpuUsage()
  const began = performance.now()
  sampler.start()
  await new Promise((r) => setTimeout(r, RUN_MS))
  await sampler.stop()
  const used = process.cpuUsage(cpu)
  const wall = performance.now() - began
  if (processes !== TREE) throw new Error(`sampled ${processes} processes, expected ${TREE}`)
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!
  return {
    name: `${TREE} processes, every ${intervalMs} ms${sockets ? ', with sockets' : ''}`,
    figures: {
      'CPU %': ((100 * (used.user + used.system)) / 1000 / wall).toFixed(1),
      samples: times.length,
      'ms/sample p50': at(0.5).toFixed(2),
      p95: at(0.95).toFixed(2),
    },
  }
}
