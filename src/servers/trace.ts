import { createReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { z } from 'zod'
import { osErrorWords, SockscopeError } from './errors.ts'
import type { SockscopeEvent } from './events.ts'

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
export const TRACE_FORMAT = 'sockscope-trace'
export const TRACE_VERSION = 2
/** The versions this Sockscope reads. */
export const TRACE_VERSIONS: readonly number[] = [1, 2]

/**
 * How a trace's run ended (version 2), or null: the run is still writing it, or never
 * closed it (killed, crashed), or it went to a pipe or a device, whose first line cannot
 * be rewritten once sent.
 */
export type TraceEnding = 'clean' | 'write-failed'

const HeaderV1 = z.object({
  format: z.literal(TRACE_FORMAT),
  version: z.literal(1),
  /** Monotonic ns of t = 0, so traces of one run from several commands line up. */
  originNs: z.string().regex(/^\d+$/),
  createdAt: z.string(),
  command: z.string(),
})
const HeaderV2 = HeaderV1.extend({
  version: z.literal(2),
  ended: z.enum(['clean', 'write-failed']).nullable(),
})

export interface TraceHeader {
  format: typeof TRACE_FORMAT
  version: number
  originNs: string
  createdAt: string
  command: string
  /** Version 2 and later; undefined in a version 1 file, which did not record it. */
  ended?: TraceEnding | null
}

const TraceEvent = z.looseObject({
  kind: z.string(),
  t: z.number(),
  src: z.object({ role: z.string(), run: z.string(), pid: z.number(), tid: z.number() }),
})

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
    const header = { format: TRACE_FORMAT, version: TRACE_VERSION, createdAt: new Date().toISOString(), ...fields } as const
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
      await writeAll(file, Buffer.from(headerLine(header, null, headerWidth)))
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
    const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n'
    this.pending.push(text)
    this.pendingBytes += text.length
    if (this.pendingBytes > this.maxPendingBytes) {
      const mb = Math.round(this.pendingBytes / 1024 / 1024)
      this.fail(new SockscopeError('TRACE_WRITE_FAILED', `cannot write the trace ${this.path}: the disk is not keeping up (${mb} MB of events waited to be written); ${this.elsewhere} on a faster disk`))
      return
    }
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

/** The longest line a trace may have: an event is at most a few KB (previews are cut short), so 16 MiB is damage, not data. */
export const TRACE_MAX_LINE_BYTES = 16 * 1024 * 1024
/** The header is a few hundred bytes: a first line longer than this is not one. */
const HEADER_MAX_BYTES = 64 * 1024
/** Lines that are not events a trace may have and still be read: a torn line or two, not a file of garbage. */
export const TRACE_MAX_BAD_LINES = 100

export interface TraceReadOptions {
  /** Default TRACE_MAX_LINE_BYTES. */
  maxLineBytes?: number
  /** Default TRACE_MAX_BAD_LINES. */
  maxBadLines?: number
}

export interface TraceProblem {
  line: number
  message: string
}

export interface Trace {
  header: TraceHeader
  /** Every valid event, ordered by time. */
  events: SockscopeEvent[]
  /** Lines that could not be read (at most maxBadLines); the rest of the file is still loaded. */
  problems: TraceProblem[]
}

/** A piece of a trace as it is read: the header first, then the events and problems of each chunk of the file, in file order. */
export type TraceRecord = { header: TraceHeader } | { events: SockscopeEvent[]; problems: TraceProblem[] }

const sizeWords = (bytes: number) => (bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${+(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`)

/**
 * Read a trace file as a stream, in bounded memory whatever the file holds: a missing or
 * wrong header, or a version this Sockscope does not know, is TRACE_CORRUPT at once
 * (nothing to trust); a line longer than maxLineBytes is TRACE_CORRUPT with its line
 * number; a bad event line is reported as a problem and skipped, so one torn line loses
 * nothing else, but more than maxBadLines of them is TRACE_CORRUPT: that is not a trace.
 */
export async function* streamTrace(path: string, options: TraceReadOptions = {}): AsyncGenerator<TraceRecord> {
  const maxLineBytes = options.maxLineBytes ?? TRACE_MAX_LINE_BYTES
  const maxBadLines = options.maxBadLines ?? TRACE_MAX_BAD_LINES
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 })
  /** The line being read, as pieces of chunks (their sum is at most the line limit). */
  let parts: Buffer[] = []
  let partBytes = 0
  let n = 0
  let header: TraceHeader | undefined
  let badLines = 0
  let firstBad: TraceProblem | undefined
  let events: SockscopeEvent[] = []
  let problems: TraceProblem[] = []

  const tooLong = (line: number): SockscopeError =>
    line === 1
      ? new SockscopeError('TRACE_CORRUPT', `${path}: the first line is longer than ${sizeWords(HEADER_MAX_BYTES)}, so it is not a ${TRACE_FORMAT} header and this is not a Sockscope trace`)
      : new SockscopeError('TRACE_CORRUPT', `${path}: line ${line} is longer than ${sizeWords(maxLineBytes)}, the longest line a trace may have: the file is damaged, or not a Sockscope trace`)

  const problem = (line: number, message: string) => {
    badLines++
    firstBad ??= { line, message }
    if (badLines > maxBadLines)
      throw new SockscopeError(
        'TRACE_CORRUPT',
        `${path}: more than ${maxBadLines} lines are not events (the first, line ${firstBad.line}: ${firstBad.message}), so this is not a Sockscope trace, or it is badly damaged`,
      )
    problems.push({ line, message })
  }

  const takeLine = (bytes: Buffer) => {
    n++
    let text = bytes.toString('utf8')
    if (text.endsWith('\r')) text = text.slice(0, -1)
    if (n === 1) {
      header = parseHeader(text, path)
      return
    }
    if (text.trim() === '') return problem(n, 'an empty line')
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return problem(n, 'not valid JSON')
    }
    const parsed = TraceEvent.safeParse(json)
    if (parsed.success) events.push(parsed.data as unknown as SockscopeEvent)
    else problem(n, `not an event: ${parsed.error.issues[0]?.message}`)
  }

  const limit = () => (n === 0 ? HEADER_MAX_BYTES : maxLineBytes)

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0
      for (let newline = chunk.indexOf(10, start); ; newline = chunk.indexOf(10, start)) {
        if (newline === -1) {
          if (start < chunk.length) {
            partBytes += chunk.length - start
            if (partBytes > limit()) throw tooLong(n + 1)
            parts.push(chunk.subarray(start))
          }
          break
        }
        if (partBytes + newline - start > limit()) throw tooLong(n + 1)
        const piece = chunk.subarray(start, newline)
        takeLine(parts.length ? Buffer.concat([...parts, piece]) : piece)
        parts = []
        partBytes = 0
        start = newline + 1
        if (header && n === 1) yield { header }
      }
      if (events.length || problems.length) {
        yield { events, problems }
        events = []
        problems = []
      }
    }
    // A last line without its newline: a torn write at the very end, or a hand-made file.
    if (partBytes > 0) {
      takeLine(Buffer.concat(parts))
      if (header && n === 1) yield { header }
    }
    if (events.length || problems.length) yield { events, problems }
  } catch (err) {
    if (err instanceof SockscopeError) throw err
    throw new SockscopeError('TRACE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`)
  } finally {
    stream.destroy()
  }
  if (!header) throw new SockscopeError('TRACE_CORRUPT', `${path} is empty: not a Sockscope trace`)
}

/** Read a whole trace (see streamTrace for what is refused): its header, its events in time order, the lines skipped. */
export async function readTrace(path: string, options: TraceReadOptions = {}): Promise<Trace> {
  let header: TraceHeader | undefined
  const events: SockscopeEvent[] = []
  const problems: TraceProblem[] = []
  for await (const record of streamTrace(path, options)) {
    if ('header' in record) header = record.header
    else {
      for (const event of record.events) events.push(event)
      problems.push(...record.problems)
    }
  }
  events.sort((a, b) => a.t - b.t)
  return { header: header!, events, problems }
}

function parseHeader(line: string, path: string): TraceHeader {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    throw new SockscopeError('TRACE_CORRUPT', `${path}: the first line is not JSON, so this is not a Sockscope trace`)
  }
  const notHeader = new SockscopeError('TRACE_CORRUPT', `${path}: the first line is not a ${TRACE_FORMAT} header`)
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== TRACE_FORMAT) throw notHeader
  const version = (json as { version?: unknown }).version
  if (typeof version !== 'number' || !TRACE_VERSIONS.includes(version)) {
    const newer = typeof version === 'number' && Number.isInteger(version) && version > TRACE_VERSION
    throw new SockscopeError(
      'TRACE_CORRUPT',
      `${path} is trace version ${JSON.stringify(version) ?? 'none'}${newer ? ', from a newer Sockscope' : ''}; this Sockscope reads versions ${TRACE_VERSIONS.join(' and ')}`,
    )
  }
  const parsed = (version === 1 ? HeaderV1 : HeaderV2).safeParse(json)
  if (!parsed.success) throw notHeader
  return parsed.data
}
