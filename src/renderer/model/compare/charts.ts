import type { SockscopeEvent } from '../../../servers/events.ts'
import { type ModelSummary, summarize } from '../../../servers/compare/summary.ts'
import { inServiceSeries, latencyPoints, queueDepthSeries, type StepSeries, valueAt } from '../../../servers/compare/series.ts'
import { eventsUpTo } from '../at-time.ts'
import type { CompareEntry } from './pairs.ts'

/** A chart's data as uPlot takes it: one x array, one y array per model (null: no value there). */
export interface ChartData {
  x: number[]
  ys: (number | null)[][]
}

/** The span a compare's time charts cover (µs): its first client connect to its last event. */
export function compareSpan(events: readonly SockscopeEvent[], entries: readonly CompareEntry[]): { from: number; to: number } | null {
  const clients = new Set(entries.map((e) => e.clientRun))
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  for (const e of events) {
    if (e.kind === 'connect' && clients.has(e.src.run)) from = Math.min(from, e.t)
    if (e.kind !== 'proc') to = Math.max(to, e.t)
  }
  return Number.isFinite(from) && to >= from ? { from, to } : null
}

/**
 * Step series of every model on one x axis (seconds since `from`), cut at `at` (the
 * playhead: nothing after it is drawn), with a point at `from` and one at `at` so each
 * line starts at the left edge and runs up to the playhead.
 */
export function stepChart(series: readonly StepSeries[], from: number, at: number): ChartData {
  const times = new Set<number>([from, at])
  for (const s of series) for (const t of s.t) if (t > from && t < at) times.add(t)
  const sorted = [...times].sort((a, b) => a - b)
  return { x: sorted.map((t) => (t - from) / 1e6), ys: series.map((s) => sorted.map((t) => valueAt(s, t))) }
}

/** Latency per client (seconds), x the client's place in its model's connect order (1, 2, …): a client not yet closed at `at` has no point. */
export function latencyChart(events: readonly SockscopeEvent[], entries: readonly CompareEntry[], at: number): ChartData {
  const perModel = entries.map((e) => latencyPoints(events, e.clientRun))
  const n = Math.max(0, ...perModel.map((p) => p.length))
  return {
    x: Array.from({ length: n }, (_, i) => i + 1),
    ys: perModel.map((points) => Array.from({ length: n }, (_, i) => {
      const p = points[i]
      return p && p.connectT + p.latencyUs <= at ? p.latencyUs / 1e6 : null
    })),
  }
}

export interface CompareFigures {
  rows: ModelSummary[]
  inService: ChartData
  queue: ChartData
  latency: ChartData
  /** The playhead on the time charts' x axis (seconds since the first connect). */
  atS: number
  /** The time charts' whole x range (seconds). */
  spanS: number
  /** Where their x axis starts: the compare's first client connect (µs, store time). */
  fromUs: number
  /** Per model: clients still open at the playhead, and the time since its own first connect (s). */
  progress: { open: number; elapsedS: number }[]
}

/** Per model at `at`: how many of its clients have connected and not closed, and how long since its first connect. */
function progressAt(events: readonly SockscopeEvent[], entries: readonly CompareEntry[], at: number): CompareFigures['progress'] {
  return entries.map((entry) => {
    const open = new Set<string>()
    let first = Number.POSITIVE_INFINITY
    for (const e of events) {
      if (e.t > at) break
      if (e.src.run !== entry.clientRun) continue
      if (e.kind === 'connect') {
        open.add(e.conn)
        first = Math.min(first, e.t)
      } else if (e.kind === 'close') open.delete(e.conn)
    }
    return { open: open.size, elapsedS: Number.isFinite(first) ? (at - first) / 1e6 : 0 }
  })
}

/** Every figure of the compare view at the playhead `at` (µs; Infinity: the end): one function of (recording, playhead). */
export function compareFigures(events: readonly SockscopeEvent[], entries: readonly CompareEntry[], at: number): CompareFigures | null {
  const span = compareSpan(events, entries)
  if (!span) return null
  const shown = Math.min(Math.max(at, span.from), span.to)
  const upTo = eventsUpTo(events, shown)
  return {
    rows: entries.map((e) => summarize(upTo, e.model, e.serverRun, e.clientRun)),
    inService: stepChart(entries.map((e) => inServiceSeries(events, e.serverRun)), span.from, shown),
    queue: stepChart(entries.map((e) => queueDepthSeries(events, e.serverRun)), span.from, shown),
    latency: latencyChart(events, entries, shown),
    atS: (shown - span.from) / 1e6,
    spanS: (span.to - span.from) / 1e6,
    fromUs: span.from,
    progress: progressAt(events, entries, shown),
  }
}
