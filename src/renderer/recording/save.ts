import type { SockscopeEvent } from '../../servers/events.ts'
import { hasRecords, recordLines, TRACE_FORMAT, TRACE_VERSION, TRACE_VERSION_RECORDS, type TraceHeader, type TraceRecords } from '../../servers/trace-lines.ts'

/** The command a saved recording's header names: not a CLI command, the app. */
export const SAVED_COMMAND = 'sockscope (saved from the app)'

/** Lines joined per Blob part: few parts, and no one string of the whole file. */
const LINES_PER_PART = 8192

/** What save needs of the trace store: events by seq, and seqs in time order. */
export interface EventSource {
  readonly size: number
  readonly order: ArrayLike<number>
  event(seq: number): SockscopeEvent | undefined
}

/**
 * The recording as one trace file in the format the CLI writes (trace.ts): a version 2
 * header whose originNs is the recording's zero, `ended: "clean"`, then every event in
 * time order, one JSON line each. The events are read from the store one at a time
 * (`event(seq)`): no second copy of them is made, only the text. With records (notes,
 * lesson runs), the file is version 3 and they follow the header.
 */
export function recordingToTrace(store: EventSource, zeroNs: string, createdAt = new Date().toISOString(), records: Partial<TraceRecords> = {}): Blob {
  const version = hasRecords(records) ? TRACE_VERSION_RECORDS : TRACE_VERSION
  const header: TraceHeader = { format: TRACE_FORMAT, version, createdAt, originNs: zeroNs, command: SAVED_COMMAND, ended: 'clean' }
  const parts: string[] = [JSON.stringify(header) + '\n']
  if (hasRecords(records)) parts.push(recordLines(records))
  let lines: string[] = []
  for (let i = 0; i < store.size; i++) {
    const e = store.event(store.order[i]!)
    if (!e) continue
    lines.push(JSON.stringify(e))
    if (lines.length === LINES_PER_PART) {
      parts.push(lines.join('\n') + '\n')
      lines = []
    }
  }
  if (lines.length) parts.push(lines.join('\n') + '\n')
  return new Blob(parts, { type: 'application/x-ndjson' })
}

/** A file name for a saved recording: the opened file's name with `-saved`, or one of the moment. */
export function savedName(opened: readonly string[], now = new Date()): string {
  const first = opened[0]
  if (first) return first.replace(/(\.ndjson|\.jsonl|\.json)?$/i, (ext) => `${opened.length > 1 ? '-merged' : '-saved'}${ext || '.ndjson'}`)
  return `sockscope-${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}.ndjson`
}

/** Hand a Blob to the browser as a download. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
  // The download has taken the URL by the next task.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}
