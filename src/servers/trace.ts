import { createReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { osErrorWords, SockscopeError } from './errors.ts'
import type { SockscopeEvent } from './events.ts'
import { toEventLines } from './event-text.ts'
import {
  emptyTrace,
  LineSplitter,
  hasRecords,
  notAnEvent,
  parseRecord,
  recordLines,
  type TraceLessonRun,
  type TraceNote,
  type TraceRecords,
  parseHeader,
  TRACE_FORMAT,
  TRACE_MAX_BAD_LINES,
  TRACE_VERSION,
  TRACE_VERSION_RECORDS,
  type TraceEnding,
  type TraceHeader,
  type TraceProblem,
  tooManyBadLines,
  TraceCorrupt,
} from './trace-lines.ts'

/**
 * Trace files: NDJSON, one event per line, after a header line that names the format and
 * its version and records the run's clock origin.
 *
 * Version 2 adds `ended` to the header: null while the run is written (and so, in a file
 * whose run was killed or crashed), "clean" once it was closed normally, "write-failed"
 * when a write failed and the file stops short. The header is written padded with spaces
 * to a fixed width and rewritten in place when the trace is closed, so that it can say so
 * and still be the first line: a reader streams the file from the top, and any JSON tool
 * reads the line as it is (trailing spaces are JSON whitespace). Version 1 files, which
 * have no `ended`, are still read.
 */
export { TRACE_FORMAT, TRACE_MAX_BAD_LINES, TRACE_MAX_LINE_BYTES, TRACE_VERSION, TRACE_VERSIONS } from './trace-lines.ts'
export type { TraceEnding, TraceHeader, TraceProblem } from './trace-lines.ts'

/**
 * Events the disk has not taken yet, at most: past this the trace fails (TRACE_WRITE_FAILED)
 * rather than grow without bound, since a disk this far behind is not catching up.
 */
export const TRACE_MAX_PENDING_BYTES = 128 * 1024 * 1024

export interface TraceWriterOptions {
  /** What the person should do to write the trace elsewhere, in the error's last clause; default "write it to another file". */
  elsewhere?: string
  /** Default TRACE_MAX_PENDING_BYTES. */
  maxPendingBytes?: number
  /** The user's notes and the lessons run, written after the header (the file is then version 3). */
  records?: Partial<TraceRecords>
  /** Records will come later, among the events (a lesson's runs, known once they start): the header says version 3 now. */
  recordsLater?: boolean
}

/** Errors a person fixes by making room; the others by fixing the path. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG'])

function writeFailed(path: string, err: unknown, elsewhere: string): SockscopeError {
  if (err instanceof SockscopeError) return err
  const code = (err as NodeJS.ErrnoException).code
  const reason = osErrorWords(err)
  const todo = code && FULL.has(code) ? `free some space or ${elsewhere}` : `check the path, or ${elsewhere}`
  return new SockscopeError('TRACE_WRITE_FAILED', `cannot write the trace ${path}: ${reason}; ${todo}`)
}

/**
 * Writes a trace file. Nothing is lost silently: the first write that fails (disk full,
 * a file-size limit, an I/O error) is reported to onFailure listeners and fails close(),
 * and the header then says `"ended":"write-failed"`. close() flushes, records the ending
 * in the header, fsyncs and closes.
 */
export class TraceWriter {
  readonly path: string
  count = 0
  private readonly file: FileHandle
  private readonly header: Omit<TraceHeader, 'ended'>
  private readonly headerWidth: number
  /** A regular file: its header can be rewritten in place and it can be fsynced (not a pipe, not /dev/full). */
  private readonly regular: boolean
  private readonly elsewhere: string
  private readonly maxPendingBytes: number
  private pending: string[] = []
  private pendingBytes = 0
  private pumping: Promise<void> | undefined
  private closing: Promise<void> | undefined
  private failed: SockscopeError | undefined
  private readonly failureListeners = new Set<(err: SockscopeError) => void>()

  private constructor(path: string, file: FileHandle, header: Omit<TraceHeader, 'ended'>, headerWidth: number, regular: boolean, options: TraceWriterOptions) {
    this.path = path
    this.file = file
    this.header = header
    this.headerWidth = headerWidth
    this.regular = regular
    this.elsewhere = options.elsewhere ?? 'write it to another file'
    this.maxPendingBytes = options.maxPendingBytes ?? TRACE_MAX_PENDING_BYTES
  }

  /**
   * Create (or truncate) the file and write its header; rejects with TRACE_WRITE_FAILED if
   * either fails, so that a run never starts with a trace that cannot be written.
   */
  static async open(path: string, fields: Pick<TraceHeader, 'originNs' | 'command'>, options: TraceWriterOptions = {}): Promise<TraceWriter> {
    const elsewhere = options.elsewhere ?? 'write it to another file'
    const version = hasRecords(options.records) || options.recordsLater ? TRACE_VERSION_RECORDS : TRACE_VERSION
    const header: Omit<TraceHeader, 'ended'> = { format: TRACE_FORMAT, version, createdAt: new Date().toISOString(), ...fields }
    // Wide enough for the longest ending, so the rewrite at close always fits.
    const headerWidth = Buffer.byteLength(headerLine(header, 'write-failed', 0))
    let file: FileHandle
    try {
      file = await open(path, 'w')
    } catch (err) {
      throw writeFailed(path, err, elsewhere)
    }
    try {
      const regular = (await file.stat()).isFile()
      await writeAll(file, Buffer.from(headerLine(header, null, headerWidth) + recordLines(options.records)))
      return new TraceWriter(path, file, header, headerWidth, regular, options)
    } catch (err) {
      await file.close().catch(() => {})
      throw writeFailed(path, err, elsewhere)
    }
  }

  /** The first write that failed, if one did. */
  get failure(): SockscopeError | undefined {
    return this.failed
  }

  /** Called once, with the first failure; the trace takes no more events after it. */
  onFailure(listener: (err: SockscopeError) => void): () => void {
    this.failureListeners.add(listener)
    return () => this.failureListeners.delete(listener)
  }

  write(events: readonly SockscopeEvent[]): void {
    if (events.length === 0 || this.closing || this.failed) return
    this.count += events.length
    const text = toEventLines(events) + '\n'
    this.pending.push(text)
    this.pendingBytes += text.length
    if (this.pendingBytes > this.maxPendingBytes) {
      const mb = Math.round(this.pendingBytes / 1024 / 1024)
      this.fail(new SockscopeError('TRACE_WRITE_FAILED', `cannot write the trace ${this.path}: the disk is not keeping up (${mb} MB of events waited to be written); ${this.elsewhere} on a faster disk`))
      return
    }
    this.pumping ??= this.pump()
  }

  /** A lesson run among the events (the writer was opened with recordsLater, so the header says version 3). */
  writeLesson(run: TraceLessonRun): void {
    if (this.header.version !== TRACE_VERSION_RECORDS) throw new Error('a trace opened without recordsLater takes no records')
    if (this.closing || this.failed) return
    const text = recordLines({ lessons: [run] })
    this.pending.push(text)
    this.pendingBytes += text.length
    this.pumping ??= this.pump()
  }

  /** Flush, record how the run ended in the header, fsync, close; rejects with the failure if a write failed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.pumping
      try {
        if (this.regular) {
          await this.file.write(Buffer.from(headerLine(this.header, this.failed ? 'write-failed' : 'clean', this.headerWidth)), 0, this.headerWidth, 0)
          await this.file.sync()
        }
      } catch (err) {
        this.fail(err)
      } finally {
        await this.file.close().catch((err) => this.fail(err))
      }
      if (this.failed) throw this.failed
    })()
    return this.closing
  }

  private async pump(): Promise<void> {
    while (this.pending.length > 0 && !this.failed) {
      const chunk = Buffer.from(this.pending.join(''))
      this.pending = []
      this.pendingBytes = 0
      try {
        await writeAll(this.file, chunk)
      } catch (err) {
        this.fail(err)
      }
    }
    this.pumping = undefined
  }

  private fail(err: unknown): void {
    if (this.failed) return
    this.failed = writeFailed(this.path, err, this.elsewhere)
    this.pending = []
    this.pendingBytes = 0
    for (const listener of this.failureListeners) listener(this.failed)
  }
}

/** The header as one line of `width` bytes, padded with spaces before its newline (width 0: unpadded). */
function headerLine(header: Omit<TraceHeader, 'ended'>, ended: TraceEnding | null, width: number): string {
  const json = JSON.stringify({ ...header, ended })
  return json.padEnd(Math.max(0, width - 1 - (Buffer.byteLength(json) - json.length)), ' ') + '\n'
}

/** A write returns how much it wrote; a regular file can take less than asked (a disk that fills on the way). */
async function writeAll(file: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0
  while (offset < buffer.length) {
    const { bytesWritten } = await file.write(buffer, offset, buffer.length - offset, null)
    if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
    offset += bytesWritten
  }
}

export interface TraceReadOptions {
  /** Default TRACE_MAX_LINE_BYTES. */
  maxLineBytes?: number
  /** Default TRACE_MAX_BAD_LINES. */
  maxBadLines?: number
}

export interface Trace {
  header: TraceHeader
  /** Every valid event, ordered by time. */
  events: SockscopeEvent[]
  /** Lines that could not be read (at most maxBadLines); the rest of the file is still loaded. */
  problems: TraceProblem[]
  /** The user's notes (version 3), by time. */
  notes: TraceNote[]
}

/** A piece of a trace as it is read: the header first, then the events and problems of each chunk of the file, in file order. */
export type TraceRecord = { header: TraceHeader } | { events: SockscopeEvent[]; problems: TraceProblem[]; notes: TraceNote[] }

/**
 * Read a trace file as a stream, in bounded memory whatever the file holds: a missing or
 * wrong header, or a version this Sockscope does not know, is TRACE_CORRUPT at once
 * (nothing to trust); a line longer than maxLineBytes is TRACE_CORRUPT with its line
 * number; a bad event line is reported as a problem and skipped, so one torn line loses
 * nothing else, but more than maxBadLines of them is TRACE_CORRUPT: that is not a trace.
 * (The rules and the words are trace-lines.ts's, which the app's reader shares.)
 */
export async function* streamTrace(path: string, options: TraceReadOptions = {}): AsyncGenerator<TraceRecord> {
  const maxBadLines = options.maxBadLines ?? TRACE_MAX_BAD_LINES
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 })
  let header: TraceHeader | undefined
  let headerGiven = false
  let badLines = 0
  let firstBad: TraceProblem | undefined
  let events: SockscopeEvent[] = []
  let problems: TraceProblem[] = []
  let notes: TraceNote[] = []

  const problem = (line: number, message: string) => {
    badLines++
    firstBad ??= { line, message }
    if (badLines > maxBadLines) throw tooManyBadLines(path, maxBadLines, firstBad)
    problems.push({ line, message })
  }

  const splitter = new LineSplitter(
    path,
    (text, line) => {
      if (line === 1) {
        header = parseHeader(text, path)
        return
      }
      if (text.trim() === '') return problem(line, 'an empty line')
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return problem(line, 'not valid JSON')
      }
      const record = parseRecord(json)
      if (record) {
        if ('note' in record) notes.push(record.note)
        else if ('wrong' in record) problem(line, record.wrong)
        return
      }
      const notEvent = notAnEvent(json)
      if (notEvent) problem(line, notEvent)
      else events.push(json as SockscopeEvent)
    },
    options,
  )

  /** What the last piece of input completed: the header once, then its events and problems. */
  function* records(): Generator<TraceRecord> {
    if (header && !headerGiven) {
      headerGiven = true
      yield { header }
    }
    if (events.length || problems.length || notes.length) {
      yield { events, problems, notes }
      events = []
      problems = []
      notes = []
    }
  }

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      splitter.push(chunk)
      yield* records()
    }
    splitter.end()
    yield* records()
  } catch (err) {
    throw readFailure(err, path)
  } finally {
    stream.destroy()
  }
  if (!header) throw readFailure(emptyTrace(path), path)
}

/** What a reader of `path` throws: a refusal of trace-lines.ts as the SockscopeError it is, any other failure (I/O) as TRACE_CORRUPT that says it could not read. */
export function readFailure(err: unknown, path: string): SockscopeError {
  if (err instanceof SockscopeError) return err
  if (err instanceof TraceCorrupt) return new SockscopeError(err.code, err.message)
  return new SockscopeError('TRACE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`)
}

/** Read a whole trace (see streamTrace for what is refused): its header, its events in time order, the lines skipped. */
export async function readTrace(path: string, options: TraceReadOptions = {}): Promise<Trace> {
  let header: TraceHeader | undefined
  const events: SockscopeEvent[] = []
  const problems: TraceProblem[] = []
  const notes: TraceNote[] = []
  for await (const record of streamTrace(path, options)) {
    if ('header' in record) header = record.header
    else {
      for (const event of record.events) events.push(event)
      problems.push(...record.problems)
      notes.push(...record.notes)
    }
  }
  events.sort((a, b) => a.t - b.t)
  return { header: header!, events, problems, notes: notes.sort((a, b) => a.t - b.t) }
}
