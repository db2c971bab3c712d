import type { Writable } from 'node:stream'
import type { SockscopeEvent } from '../events.ts'
import { hasRecords, recordLines, TRACE_VERSION_RECORDS, type TraceLessonRun, type TraceNote } from '../trace-lines.ts'
import { TRACE_FORMAT, TRACE_VERSION, TraceWriter } from '../trace.ts'
import type { SavedTrace } from './protocol.ts'

/**
 * Save trace: the lab's live session (what LabService keeps for the pages) as a trace
 * file in the very format the CLI's --trace writes (trace.ts): version 2, the lab clock's
 * originNs, so an event's `t` in the file is its `t` in the session (µs since originNs),
 * and `"ended":"clean"`. What the session no longer holds (trimmed at the front to its
 * bound, or forgotten by a clear) is said in the header's `command`, the one free-text
 * field a version 2 reader keeps: the file has no event it did not see, and no marker
 * event that would look like one. The notes the pages added to the session and the
 * lessons run in it are its records (and the file is then version 3).
 */

/** What the lab's session holds now, as LabService.recorded() hands it out. */
export interface SessionRecord {
  /** The kept events, in the order the pages got them; `events[0..count)` is the record (the array may grow past it). */
  readonly events: readonly SockscopeEvent[]
  readonly count: number
  /** The lab clock's origin (monotonic ns). */
  readonly originNs: bigint
  readonly host: 'web' | 'electron'
  /** Events dropped at the front since the last clear (the history keeps at most `historyLimit`). */
  readonly trimmed: number
  readonly historyLimit: number
  /** The lab's time (µs) of the last clear, or null. */
  readonly clearedAt: number | null
  /** The notes the pages added (µs on the lab's clock, as events' `t`), in time order. */
  readonly notes: readonly TraceNote[]
  /** The lessons run in the session: which run ids each one's servers and workloads got. */
  readonly lessons: readonly TraceLessonRun[]
}

/** Events serialized per piece: about 300 KB of text, so no piece is large and the file never is whole in memory. */
const EVENTS_PER_PIECE = 1000

/** `sockscope-2026-12-02T01-02-03.ndjson`: the time it was saved (UTC), with no character a file system refuses. */
export function sessionTraceName(at: Date = new Date()): string {
  return `sockscope-${at.toISOString().slice(0, 19).replace(/:/g, '-')}.ndjson`
}

/** The header's `command`: whose session this is, when it was saved, and what it no longer holds. */
export function sessionCommand(record: SessionRecord, savedAt: Date): string {
  const notes: string[] = []
  if (record.clearedAt !== null)
    notes.push(`cleared at t=${(record.clearedAt / 1e6).toFixed(3)} s: the events before it are not in this file, but the OS's last reading of the processes alive then`)
  if (record.trimmed > 0)
    notes.push(`the first ${record.trimmed} events${record.clearedAt !== null ? ' after the clear' : ''} were dropped (the lab keeps the last ${record.historyLimit}), so this file starts later than the session did`)
  const whose = record.host === 'web' ? 'sockscope web' : 'sockscope app'
  return `${whose}: the lab's live session, saved ${savedAt.toISOString()}${notes.length ? `; ${notes.join('; ')}` : ''}`
}

/**
 * The header line, as TraceWriter writes it once closed cleanly (the same fields in the
 * same order), without its padding: a stream cannot go back to rewrite it, and needs not,
 * since it knows the ending before it starts.
 */
function headerLine(record: SessionRecord, savedAt: Date): string {
  const version = hasRecords(record) ? TRACE_VERSION_RECORDS : TRACE_VERSION
  return JSON.stringify({ format: TRACE_FORMAT, version, createdAt: savedAt.toISOString(), originNs: String(record.originNs), command: sessionCommand(record, savedAt), ended: 'clean' }) + '\n'
}

/** The header and the records after it: what comes before the events. */
const prologue = (record: SessionRecord, savedAt: Date): string => headerLine(record, savedAt) + recordLines(record)

function* eventPieces(record: SessionRecord): Generator<string> {
  for (let i = 0; i < record.count; i += EVENTS_PER_PIECE) {
    const end = Math.min(record.count, i + EVENTS_PER_PIECE)
    let text = ''
    for (let j = i; j < end; j++) text += JSON.stringify(record.events[j]) + '\n'
    yield text
  }
}

/**
 * Write the record to `out` (web mode: the download's response), a piece at a time, each
 * after the previous one was taken (backpressure), so a million events cost a few hundred
 * KB here. Stops early, without error, if `out` is closed (the download was cancelled).
 * Resolves with the events written. Does not end `out`.
 */
export async function streamSessionTrace(record: SessionRecord, out: Writable, savedAt: Date = new Date()): Promise<number> {
  let written = 0
  const room = () =>
    new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        out.off('drain', onDrain)
        out.off('close', onClose)
        resolve(ok)
      }
      const onDrain = () => done(true)
      const onClose = () => done(false)
      out.on('drain', onDrain)
      out.on('close', onClose)
    })
  if (out.destroyed) return 0
  if (!out.write(prologue(record, savedAt)) && !(await room())) return 0
  for (const piece of eventPieces(record)) {
    if (out.destroyed) return written
    written += countLines(piece)
    if (!out.write(piece) && !(await room())) return written
  }
  return written
}

function countLines(text: string): number {
  let n = 0
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++
  return n
}

/**
 * Electron's Save trace: the record into `file` with TraceWriter, as `--trace` writes one
 * (header rewritten at close, fsync). Rejects with TRACE_WRITE_FAILED if the file cannot
 * be written; the session itself is untouched, so nothing is lost and the person can save
 * elsewhere.
 */
export async function writeSessionTrace(record: SessionRecord, file: string, savedAt: Date = new Date()): Promise<SavedTrace> {
  const writer = await TraceWriter.open(file, { originNs: String(record.originNs), command: sessionCommand(record, savedAt) }, { elsewhere: 'save it to another file', records: record })
  for (let i = 0; i < record.count && !writer.failure; i += EVENTS_PER_PIECE) {
    writer.write(record.events.slice(i, Math.min(record.count, i + EVENTS_PER_PIECE)))
    // TraceWriter has no drain to wait for: a turn of the event loop per piece lets its
    // writes go out as they come (its own bound, 128 MB waiting, fails it rather than grow).
    await new Promise((resolve) => setImmediate(resolve))
  }
  await writer.close()
  return { path: file, events: writer.count }
}
