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
  /**
   * The longest an accepted connection waited for its own handler to start (fork's child,
   * thread's worker), seconds: a Node process or thread booting its V8 isolate, where a C
   * or Python fork() or thread start costs µs to ms. 0 for a model that serves a connection
   * on the thread that accepted it.
   */
  longestHandlerStartS: number
  /** Most processes of the server's tree alive at once, as the OS sampler saw them. */
  peakProcesses: number
  /** Most threads across that tree at once. */
  peakThreads: number
  /** Largest resident memory of the whole tree at one sample, bytes (null: not sampled). */
  peakRssBytes: number | null
  /** CPU time the tree used, ms (sum of each process's last reading; null: not sampled). */
  cpuMs: number | null
  /** Bank: updates the final balance is missing (see lostUpdates); null where the app writes no state. */
  lostUpdates: number | null
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

/**
 * Updates the server's state lost, from its `state` events alone: what its writes meant to
 * add (each write's value less what that connection last read of the key) less what the
 * key's value moved from its first reading to its last. A lost update is a write made on a
 * stale read (threads, tasks at an await) or into a forked child's own copy, which the next
 * reader never sees. Exact once the last reading is an audit made after every write (the
 * bank workload's auditor); before that, a running figure. Null: no state was written.
 */
export function lostUpdates(events: readonly SockscopeEvent[], serverRun: string): number | null {
  const keys = new Map<string, { first: number; last: number; meant: number }>()
  const lastRead = new Map<string, number>()
  let writes = 0
  for (const e of events) {
    if (e.kind !== 'state' || e.src.run !== serverRun) continue
    let key = keys.get(e.key)
    if (!key) keys.set(e.key, (key = { first: e.value, last: e.value, meant: 0 }))
    const reader = `${e.conn ?? `${e.src.pid}:${e.src.tid}`}\u0000${e.key}`
    if (e.access === 'read') lastRead.set(reader, e.value)
    else {
      writes++
      key.meant += e.value - (lastRead.get(reader) ?? key.last)
      lastRead.set(reader, e.value)
    }
    key.last = e.value
  }
  if (!writes) return null
  let lost = 0
  // A lost deposit leaves the balance short, a lost withdrawal leaves it over: either is an update lost.
  for (const k of keys.values()) lost += Math.abs(k.meant - (k.last - k.first))
  return lost
}

/** Per connection of a server run: accept → the first event on it from another process or thread than the acceptor's, µs. */
export function handlerStarts(events: readonly SockscopeEvent[], serverRun: string): Map<string, number> {
  const accepted = new Map<string, { t: number; pid: number; tid: number }>()
  const starts = new Map<string, number>()
  for (const e of events) {
    if (e.src.run !== serverRun || e.src.role !== 'server' || !('conn' in e) || !e.conn) continue
    if (e.kind === 'accept') accepted.set(e.conn, { t: e.t, pid: e.src.pid, tid: e.src.tid })
    const a = accepted.get(e.conn)
    if (a && (e.src.pid !== a.pid || e.src.tid !== a.tid)) {
      starts.set(e.conn, e.t - a.t)
      accepted.delete(e.conn)
    }
  }
  return starts
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
    longestHandlerStartS: s(Math.max(0, ...handlerStarts(events, serverRun).values())),
    ...processPeaks(events, serverRun),
    lostUpdates: lostUpdates(events, serverRun),
  }
}
