import type { SockscopeEvent } from '../events.ts'

/**
 * One model's figures under a shared client load, computed from the recorded events
 * alone (no clock of its own), so the CLI's `compare` and the renderer's compare view
 * give the same numbers for the same recording.
 */
export interface ModelSummary {
  model: string
  /** First client connect → last client close, seconds. */
  totalS: number
  /** Per-client latency (connect → close on the client side), seconds. */
  latency: { p50: number; p95: number; max: number }
  clients: number
  /** The longest a connection waited in the accept queue, seconds. */
  longestQueueWaitS: number
  /** Most processes of the server's tree alive at once, as the OS sampler saw them. */
  peakProcesses: number
  /** Most threads across that tree at once. */
  peakThreads: number
  /** Largest resident memory of the whole tree at one sample, bytes (null: not sampled). */
  peakRssBytes: number | null
  /** CPU time the tree used, ms (sum of each process's last reading; null: not sampled). */
  cpuMs: number | null
}

/** Nearest-rank percentile of sorted values (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1]!
}

/** Per-connection client-side latency, µs: from the connect call to the close. */
export function clientLatencies(events: readonly SockscopeEvent[], clientRun: string): Map<string, number> {
  const opened = new Map<string, number>()
  const latency = new Map<string, number>()
  for (const e of events) {
    if (e.src.run !== clientRun || e.src.role !== 'client') continue
    if (e.kind === 'connect') opened.set(e.conn, e.t)
    else if (e.kind === 'close' && opened.has(e.conn) && !latency.has(e.conn)) latency.set(e.conn, e.t - opened.get(e.conn)!)
  }
  return latency
}

/** Peak process count, thread count and RSS of a run's process tree, and its CPU, from `proc` samples. */
export function processPeaks(events: readonly SockscopeEvent[], serverRun: string) {
  const live = new Map<number, { threads: number; rss: number | null; cpu: number | null }>()
  let peakProcesses = 0
  let peakThreads = 0
  let peakRss: number | null = null
  const lastCpu = new Map<number, number>()
  for (const e of events) {
    if (e.kind !== 'proc' || e.src.run !== serverRun) continue
    if (e.change === 'gone') live.delete(e.pid)
    else {
      const prev = live.get(e.pid)
      live.set(e.pid, { threads: e.threads ?? prev?.threads ?? 1, rss: e.rssBytes ?? prev?.rss ?? null, cpu: e.cpuMs ?? prev?.cpu ?? null })
      if (e.cpuMs != null) lastCpu.set(e.pid, e.cpuMs)
    }
    peakProcesses = Math.max(peakProcesses, live.size)
    let threads = 0
    let rss: number | null = null
    for (const p of live.values()) {
      threads += p.threads
      if (p.rss != null) rss = (rss ?? 0) + p.rss
    }
    peakThreads = Math.max(peakThreads, threads)
    if (rss != null) peakRss = Math.max(peakRss ?? 0, rss)
  }
  const cpuMs = lastCpu.size ? [...lastCpu.values()].reduce((a, b) => a + b, 0) : null
  return { peakProcesses, peakThreads, peakRssBytes: peakRss, cpuMs }
}

/** The summary of one model's run: its server run's and its client run's events. */
export function summarize(events: readonly SockscopeEvent[], model: string, serverRun: string, clientRun: string): ModelSummary {
  const latencies = [...clientLatencies(events, clientRun).values()].sort((a, b) => a - b)
  const clientTimes = events.filter((e) => e.src.run === clientRun && (e.kind === 'connect' || e.kind === 'close')).map((e) => e.t)
  const totalUs = clientTimes.length ? Math.max(...clientTimes) - Math.min(...clientTimes) : 0
  let longestWait = 0
  for (const e of events) if (e.kind === 'accept' && e.src.run === serverRun) longestWait = Math.max(longestWait, e.waitedUs)
  const s = (us: number) => us / 1e6
  return {
    model,
    totalS: s(totalUs),
    latency: { p50: s(percentile(latencies, 50)), p95: s(percentile(latencies, 95)), max: s(latencies.at(-1) ?? 0) },
    clients: latencies.length,
    longestQueueWaitS: s(longestWait),
    ...processPeaks(events, serverRun),
  }
}
