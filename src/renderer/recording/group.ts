import type { SockscopeEvent } from '../../servers/events.ts'
import type { TraceLessonRun } from '../../servers/trace-lines.ts'

/**
 * Several trace files on one time axis. Files whose absolute time ranges (originNs plus
 * their first and last event's t) overlap, or come within GROUP_GAP_US of each other, are
 * one run seen by several commands (a server's trace and a client's): one group, rebased to
 * µs since the group's earliest originNs (the recording's zero). Other files are unrelated
 * runs: each group starts from its own zero, side by side on the same axis, and so that
 * their lanes cannot merge, the ids that name runs and connections in every group after
 * the first carry the group's label.
 */

/** Two files whose events come closer than this are one run. */
export const GROUP_GAP_US = 1_000_000

/** What grouping needs to know of a file once it is read. */
export interface FileSpan {
  originNs: string
  /** Its events' first and last t (µs since its own originNs); ±Infinity for a file without events. */
  firstT: number
  lastT: number
}

export interface FilePlacement {
  /** 0 for the first group (the earliest), 1 for the next… */
  group: number
  /** The group's label: '' for the first group, whose ids are kept, then 'B', 'C'… */
  label: string
  /** µs from the group's zero to this file's zero: added to every t. */
  offsetUs: number
  /** The group's zero (its earliest originNs). */
  zeroNs: string
}

/** '' for group 0, 'B' for 1, 'C' for 2… 'Z', then 'BA'… (base 26, A the digit 0): labels never clash. */
export function groupLabel(group: number): string {
  if (group === 0) return ''
  let n = group
  let label = ''
  while (n > 0) {
    label = String.fromCharCode(65 + (n % 26)) + label
    n = Math.floor(n / 26)
  }
  return label
}

/** Where each file goes, in the order given. */
export function placeFiles(files: readonly FileSpan[]): FilePlacement[] {
  if (files.length === 0) return []
  const origins = files.map((f) => BigInt(f.originNs))
  const minOrigin = origins.reduce((a, b) => (b < a ? b : a))
  // Absolute ranges in µs since the earliest origin of all (small enough for a Number).
  const spans = files.map((f, i) => {
    const base = Number(origins[i]! - minOrigin) / 1000
    const empty = !Number.isFinite(f.firstT)
    return { i, start: base + (empty ? 0 : f.firstT), end: base + (empty ? 0 : f.lastT) }
  })
  const byStart = [...spans].sort((a, b) => a.start - b.start || a.i - b.i)
  const groupOf = new Array<number>(files.length)
  let group = -1
  let groupEnd = Number.NEGATIVE_INFINITY
  for (const span of byStart) {
    if (span.start > groupEnd + GROUP_GAP_US) group++
    groupOf[span.i] = group
    groupEnd = Math.max(groupEnd, span.end)
  }
  const zeros = new Map<number, bigint>()
  files.forEach((_, i) => {
    const zero = zeros.get(groupOf[i]!)
    if (zero === undefined || origins[i]! < zero) zeros.set(groupOf[i]!, origins[i]!)
  })
  return files.map((_, i) => {
    const g = groupOf[i]!
    const zero = zeros.get(g)!
    return { group: g, label: groupLabel(g), offsetUs: Number(origins[i]! - zero) / 1000, zeroNs: zero.toString() }
  })
}

/**
 * A run id of a later group: `B·s1`. Lanes and tables key servers and client workloads
 * by run id, so two files' `s1` must not meet.
 */
export const groupRun = (run: string, label: string): string => (label ? `${label}·${run}` : run)

/**
 * A connection id of a later group: `51002>50007>B`. Both ports stay where parseConnId
 * (model/derive.ts) reads them, the first two `>`-separated fields, so the lane still says
 * `:51002` and the connection still belongs to port 50007; the third field keeps two runs'
 * `51002>50007` (an ephemeral port used again) on separate tracks.
 */
export const groupConn = (conn: string, label: string): string => (label ? `${conn}>${label}` : conn)

/**
 * Move an event onto the recording's axis, in place: t by the file's offset, and in a
 * later group every field that names a run or a connection (src.run, conn, a wake-up's
 * ready sets).
 */
export function placeEvent(e: SockscopeEvent, place: FilePlacement): void {
  if (place.offsetUs !== 0) e.t += place.offsetUs
  if (!place.label) return
  e.src.run = groupRun(e.src.run, place.label)
  const withConn = e as { conn?: unknown }
  if (typeof withConn.conn === 'string') withConn.conn = groupConn(withConn.conn, place.label)
  if (e.kind === 'wakeup') {
    e.readable = e.readable.map((c) => groupConn(c, place.label))
    e.writable = e.writable.map((c) => groupConn(c, place.label))
  }
}

/** A lesson run of a file, on the recording's axis: its start moved as the file's events are, its run ids as theirs. */
export function placeLesson(run: TraceLessonRun, place: FilePlacement): TraceLessonRun {
  const ids = (names: Record<string, string>) => Object.fromEntries(Object.entries(names).map(([name, id]) => [name, groupRun(id, place.label)]))
  return { t: run.t + place.offsetUs, lesson: run.lesson, runs: { servers: ids(run.runs.servers), clients: ids(run.runs.clients) } }
}
