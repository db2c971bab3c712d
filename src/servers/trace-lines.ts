import type { SockscopeEvent } from './events.ts'

/**
 * Reading trace files, line by line, without Node: the header's rules, the line splitter
 * and its bounds, the event checks and every refusal's words. Runtime-neutral (no node:
 * imports, no zod): the CLI's readers (trace.ts, export/load.ts) and the app's Web Worker
 * (renderer/recording/) read traces with this one copy, so a file is refused with the same
 * message wherever it is opened. The event checks are written by hand, not with zod: a
 * million events must be checked in well under a second, and zod's messages are kept word
 * for word (the CLI's earlier readers used zod, and people and tests read those words).
 */

export const TRACE_FORMAT = 'sockscope-trace'
/**
 * The version a trace of events alone is written as. Version 3 adds records that are not
 * events: a user's notes at instants (`{"record":"note","t":…,"text":…}`) and the lessons
 * run (`{"record":"lesson","t":…,"lesson":…,"runs":…}`); it is written only by a writer
 * that has records to save, so a file without them still opens in a Sockscope that reads
 * version 2. A reader skips and counts a record of a kind it does not know.
 */
export const TRACE_VERSION = 2
/** The version of a trace that carries records (notes, lesson runs). */
export const TRACE_VERSION_RECORDS = 3
/** The versions this Sockscope reads. */
export const TRACE_VERSIONS: readonly number[] = [1, 2, 3]

/** A user's note at an instant (µs since the file's origin, as events' `t`), shown as a caption there. */
export interface TraceNote {
  t: number
  text: string
}

/** The longest note text a trace may carry: a caption is a sentence. */
export const TRACE_NOTE_MAX_CHARS = 1000

/**
 * A lesson's scenario run in this trace (version 3): which lesson, when it started (µs
 * since the file's origin), and which of the run ids that tag the events (`src.run`) each
 * of its named servers and client workloads got, so a reopened recording ticks the
 * lesson's checkpoints as the live run did.
 */
export interface TraceLessonRun {
  t: number
  lesson: string
  runs: { servers: Record<string, string>; clients: Record<string, string> }
}

/** Bounds of a lesson record: a lesson names a few servers and workloads with short names. */
export const TRACE_LESSON_MAX_NAMES = 32
export const TRACE_LESSON_MAX_CHARS = 64

/** What a trace carries besides its events (version 3). */
export interface TraceRecords {
  notes: readonly TraceNote[]
  lessons: readonly TraceLessonRun[]
}

export const hasRecords = (records: Partial<TraceRecords> | undefined): boolean => !!(records?.notes?.length || records?.lessons?.length)

/**
 * How a trace's run ended (version 2), or null: the run is still writing it, or never
 * closed it (killed, crashed), or it went to a pipe or a device, whose first line cannot
 * be rewritten once sent.
 */
export type TraceEnding = 'clean' | 'write-failed'

export interface TraceHeader {
  format: typeof TRACE_FORMAT
  version: number
  /** Monotonic ns of t = 0, so traces of one run from several commands line up. */
  originNs: string
  createdAt: string
  command: string
  /** Version 2 and later; undefined in a version 1 file, which did not record it. */
  ended?: TraceEnding | null
}

/** The longest line a trace may have: an event is at most a few KB (previews are cut short), so 16 MiB is damage, not data. */
export const TRACE_MAX_LINE_BYTES = 16 * 1024 * 1024
/** The header is a few hundred bytes: a first line longer than this is not one. */
export const TRACE_HEADER_MAX_BYTES = 64 * 1024
/** Lines that are not events a trace may have and still be read: a torn line or two, not a file of garbage. */
export const TRACE_MAX_BAD_LINES = 100

export interface TraceProblem {
  line: number
  message: string
}

export const sizeWords = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${+(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`

/**
 * A trace refused: code TRACE_CORRUPT, as errors.ts's SockscopeError (which the CLI's
 * readers turn it into, with trace.ts's readFailure). Its own class because errors.ts is typed
 * against Node's, and this file is built for the browser too.
 */
export class TraceCorrupt extends Error {
  readonly code = 'TRACE_CORRUPT' as const
  constructor(message: string) {
    super(message)
    this.name = 'TraceCorrupt'
  }
}

const corrupt = (message: string) => new TraceCorrupt(message)

export const emptyTrace = (name: string): TraceCorrupt => corrupt(`${name} is empty: not a Sockscope trace`)

export function lineTooLong(name: string, line: number, maxLineBytes: number): TraceCorrupt {
  return line === 1
    ? corrupt(`${name}: the first line is longer than ${sizeWords(TRACE_HEADER_MAX_BYTES)}, so it is not a ${TRACE_FORMAT} header and this is not a Sockscope trace`)
    : corrupt(`${name}: line ${line} is longer than ${sizeWords(maxLineBytes)}, the longest line a trace may have: the file is damaged, or not a Sockscope trace`)
}

export function tooManyBadLines(name: string, maxBadLines: number, first: TraceProblem): TraceCorrupt {
  return corrupt(`${name}: more than ${maxBadLines} lines are not events (the first, line ${first.line}: ${first.message}), so this is not a Sockscope trace, or it is badly damaged`)
}

/** A line that is not an event, in a reader that takes a file whole or not at all. */
export const badLine = (name: string, line: number, what: string): TraceCorrupt => corrupt(`${name}, line ${line}: ${what}`)

/**
 * The refusals of a whole file name its first line in words (`… is empty`, `… is trace
 * version 3`): say "line 1" as every other refusal says its line, for readers that always
 * name the line (the export, the app).
 */
export function withLineNumber(err: unknown, name: string): unknown {
  if (!(err instanceof TraceCorrupt) || /\bline \d+\b/.test(err.message) || err.message.startsWith('cannot read ')) return err
  const message = err.message
  if (message.startsWith(`${name}: `)) return corrupt(`${name}, line 1: ${message.slice(name.length + 2)}`)
  if (message.startsWith(`${name} is empty`)) return corrupt(`${name}, line 1: the file is empty, so it is not a Sockscope trace`)
  if (message.startsWith(`${name} is `)) return corrupt(`${name}, line 1: the header says it is ${message.slice(name.length + 4)}`)
  return corrupt(`${message} (line 1)`)
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The first line: the format, a version this Sockscope reads, and that version's fields. */
export function parseHeader(line: string, name: string): TraceHeader {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    throw corrupt(`${name}: the first line is not JSON, so this is not a Sockscope trace`)
  }
  const notHeader = corrupt(`${name}: the first line is not a ${TRACE_FORMAT} header`)
  if (!isObject(json) || json.format !== TRACE_FORMAT) throw notHeader
  const version = json.version
  if (typeof version !== 'number' || !TRACE_VERSIONS.includes(version)) {
    const newer = typeof version === 'number' && Number.isInteger(version) && version > TRACE_VERSION
    throw corrupt(`${name} is trace version ${JSON.stringify(version) ?? 'none'}${newer ? ', from a newer Sockscope' : ''}; this Sockscope reads versions ${TRACE_VERSIONS.slice(0, -1).join(', ')} and ${TRACE_VERSIONS.at(-1)}`)
  }
  const { originNs, createdAt, command, ended } = json
  if (typeof originNs !== 'string' || !/^\d+$/.test(originNs) || typeof createdAt !== 'string' || typeof command !== 'string') throw notHeader
  if (version === 1) return { format: TRACE_FORMAT, version, originNs, createdAt, command }
  // Version 2 and later always say how the run ended, if only null: a header without it is not one.
  if (ended !== null && ended !== 'clean' && ended !== 'write-failed') throw notHeader
  return { format: TRACE_FORMAT, version, originNs, createdAt, command, ended }
}

// ---- Records that are not events (version 3) -------------------------------------------

/**
 * A line that is a record, not an event (it has `record`, events have `kind`): a note, a
 * lesson run, a record of a kind a newer writer knows (`other`: skipped and counted), or
 * one whose fields are wrong (`wrong`). Undefined: not a record.
 */
export function parseRecord(json: unknown): { note: TraceNote } | { lesson: TraceLessonRun } | { other: string } | { wrong: string } | undefined {
  if (!isObject(json) || !('record' in json) || 'kind' in json) return undefined
  const record = json.record
  if (typeof record !== 'string') return { wrong: `a record whose field record is wrong: ${invalid('string', record).message}` }
  if (record !== 'note' && record !== 'lesson') return { other: `record:${record}` }
  const t = json.t
  if (typeof t !== 'number' || !Number.isFinite(t)) return { wrong: `a ${record} record whose field t is wrong: ${invalid('number', t).message}` }
  if (record === 'lesson') return parseLessonRecord(t, json)
  const text = json.text
  if (typeof text !== 'string') return { wrong: `a note record whose field text is wrong: ${invalid('string', text).message}` }
  if (text.length > TRACE_NOTE_MAX_CHARS) return { wrong: `a note record whose text is longer than ${TRACE_NOTE_MAX_CHARS} characters` }
  return { note: { t, text } }
}

function parseLessonRecord(t: number, json: Record<string, unknown>): { lesson: TraceLessonRun } | { wrong: string } {
  const lesson = json.lesson
  if (typeof lesson !== 'string' || lesson.length === 0 || lesson.length > TRACE_LESSON_MAX_CHARS)
    return { wrong: `a lesson record whose field lesson is wrong: expected a name of 1 to ${TRACE_LESSON_MAX_CHARS} characters` }
  const runs = json.runs
  if (!isObject(runs)) return { wrong: `a lesson record whose field runs is wrong: ${invalid('object', runs).message}` }
  const names = (field: 'servers' | 'clients'): Record<string, string> | string => {
    const map = runs[field]
    if (!isObject(map)) return `a lesson record whose field runs.${field} is wrong: ${invalid('object', map).message}`
    const entries = Object.entries(map)
    if (entries.length > TRACE_LESSON_MAX_NAMES) return `a lesson record with more than ${TRACE_LESSON_MAX_NAMES} ${field}`
    for (const [name, run] of entries)
      if (name.length > TRACE_LESSON_MAX_CHARS || typeof run !== 'string' || run.length === 0 || run.length > TRACE_LESSON_MAX_CHARS)
        return `a lesson record whose runs.${field}.${name.slice(0, TRACE_LESSON_MAX_CHARS)} is not a run id`
    return Object.fromEntries(entries) as Record<string, string>
  }
  const servers = names('servers')
  if (typeof servers === 'string') return { wrong: servers }
  const clients = names('clients')
  if (typeof clients === 'string') return { wrong: clients }
  return { lesson: { t, lesson, runs: { servers, clients } } }
}

/** A note as its line in a trace file. */
export const noteLine = (note: TraceNote): string => JSON.stringify({ record: 'note', t: note.t, text: note.text })
/** A lesson run as its line in a trace file. */
export const lessonLine = (run: TraceLessonRun): string => JSON.stringify({ record: 'lesson', t: run.t, lesson: run.lesson, runs: run.runs })
/** Every record's line, each ending in a newline, notes first, each kind in time order. */
export function recordLines(records: Partial<TraceRecords> | undefined): string {
  const byTime = <T extends { t: number }>(list: readonly T[] | undefined) => [...(list ?? [])].sort((a, b) => a.t - b.t)
  return [...byTime(records?.notes).map(noteLine), ...byTime(records?.lessons).map(lessonLine)].map((line) => line + '\n').join('')
}

// ---- Field checks, in zod's words ------------------------------------------------------

/** A field's check: undefined when the value is right, else what is wrong, with the path below the field. */
type Check = (value: unknown) => { path: (string | number)[]; message: string } | undefined

function received(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'number' : v > 0 ? 'Infinity' : '-Infinity'
  return typeof v
}
const invalid = (expected: string, v: unknown) => ({ path: [], message: `Invalid input: expected ${expected}, received ${received(v)}` })

const str: Check = (v) => (typeof v === 'string' ? undefined : invalid('string', v))
const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : invalid('number', v))
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : invalid('boolean', v))
const int: Check = (v) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return invalid('number', v)
  if (!Number.isInteger(v)) return invalid('int', v)
  if (v > Number.MAX_SAFE_INTEGER) return { path: [], message: `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}` }
  if (v < Number.MIN_SAFE_INTEGER) return { path: [], message: `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}` }
  return undefined
}
const count: Check = (v) => int(v) ?? ((v as number) < 0 ? { path: [], message: 'Too small: expected number to be >=0' } : undefined)
const oneOf = (...choices: string[]): Check => {
  const message = `Invalid option: expected one of ${choices.map((c) => JSON.stringify(c)).join('|')}`
  return (v) => (typeof v === 'string' && choices.includes(v) ? undefined : { path: [], message })
}
const optional = (check: Check): Check => (v) => (v === undefined ? undefined : check(v))
const nullable = (check: Check): Check => (v) => (v === null ? undefined : check(v))
const arrayOf = (check: Check | null): Check => (v) => {
  if (!Array.isArray(v)) return invalid('array', v)
  if (check)
    for (let i = 0; i < v.length; i++) {
      const wrong = check(v[i])
      if (wrong) return { path: [i, ...wrong.path], message: wrong.message }
    }
  return undefined
}

type Fields = readonly (readonly [string, Check])[]

const conn = str
const optConn = optional(str)
const waiter = optional(oneOf('thread', 'task'))
const blockOn = oneOf('recv', 'send', 'sleep', 'accept', 'lock', 'select')

/** The fields the readers (the export's derive functions, the app's tracks) read, kind by kind: its keys are the kinds this Sockscope knows. */
const FIELDS: Record<string, Fields> = {
  listen: [['host', str], ['port', count], ['model', str], ['app', str]],
  connect: [['conn', conn]],
  queued: [['conn', conn]],
  accept: [['conn', conn]],
  recv: [['conn', conn], ['bytes', count], ['preview', str]],
  send: [['conn', conn], ['bytes', count], ['preview', str]],
  close: [['conn', conn], ['by', oneOf('local', 'peer', 'error')], ['reset', optional(oneOf('sent', 'received'))]],
  fork: [['conn', conn], ['childPid', int]],
  exit: [['conn', optConn], ['childPid', int], ['code', nullable(num)], ['signal', nullable(str)]],
  reap: [['conn', optConn], ['childPid', int], ['policy', str], ['trigger', str], ['modelled', bool]],
  'thread-start': [['conn', conn], ['threadId', int]],
  'thread-end': [['conn', conn], ['threadId', int]],
  'task-start': [['conn', conn], ['task', str]],
  'task-end': [['conn', conn], ['task', str]],
  wakeup: [['readable', arrayOf(str)], ['writable', arrayOf(str)], ['waitedUs', num]],
  block: [['conn', optConn], ['on', blockOn], ['waiter', waiter], ['sockets', optional(num)], ['timeoutMs', optional(num)], ['limit', optional(num)]],
  unblock: [['conn', optConn], ['on', blockOn], ['waiter', waiter]],
  'lock-wait': [['conn', optConn], ['lock', str], ['waiter', waiter]],
  'lock-acquire': [['conn', optConn], ['lock', str], ['waiter', waiter]],
  'lock-release': [['conn', optConn], ['lock', str]],
  phase: [['conn', conn], ['phase', str], ['edge', oneOf('begin', 'end')]],
  state: [['conn', optConn], ['key', str], ['value', num]],
  error: [['conn', optConn], ['code', str], ['message', str]],
  proc: [['pid', int], ['ppid', int], ['state', str], ['command', str]],
  sockets: [['pid', int], ['sockets', nullable(arrayOf(null))]],
}

/** Every kind this Sockscope reads; others come from a newer writer and are skipped. */
export const KNOWN_KINDS: ReadonlySet<string> = new Set(Object.keys(FIELDS))

const role = oneOf('server', 'client', 'lab', 'os')

function firstWrong(obj: Record<string, unknown>, fields: Fields): { path: (string | number)[]; message: string } | undefined {
  for (const [key, check] of fields) {
    const wrong = check(obj[key])
    if (wrong) return { path: [key, ...wrong.path], message: wrong.message }
  }
  return undefined
}

/**
 * What makes a parsed line an event at all (a kind, a time, a source), as the lenient
 * reader (streamTrace) asks: undefined when it is one, else `not an event: …`.
 */
export function notAnEvent(json: unknown): string | undefined {
  if (!isObject(json)) return `not an event: ${invalid('object', json).message}`
  const wrong = firstWrong(json, BASE)
  return wrong && `not an event: ${wrong.message}`
}
const BASE_SRC: Fields = [['role', str], ['run', str], ['pid', num], ['tid', num]]
const BASE: Fields = [
  ['kind', str],
  ['t', num],
  ['src', (v) => (isObject(v) ? firstWrong(v, BASE_SRC) : invalid('object', v))],
]

const SOURCE_SRC: Fields = [['role', role], ['run', str], ['pid', int], ['tid', int]]
const SOURCE: Fields = [
  ['t', num],
  ['src', (v) => (isObject(v) ? firstWrong(v, SOURCE_SRC) : invalid('object', v))],
]

/**
 * An event of a known kind checked for every field its readers use (a stricter check
 * than notAnEvent's): undefined when right, else `a recv event whose field bytes is wrong: …`.
 */
export function wrongField(e: SockscopeEvent): string | undefined {
  const obj = e as unknown as Record<string, unknown>
  const wrong = firstWrong(obj, SOURCE) ?? firstWrong(obj, FIELDS[e.kind] ?? [])
  if (!wrong) return undefined
  const where = wrong.path.length ? `field ${wrong.path.join('.')}` : 'a field'
  return `a ${e.kind} event whose ${where} is wrong: ${wrong.message}`
}

// ---- Lines -----------------------------------------------------------------------------

export interface LineOptions {
  /** Default TRACE_MAX_LINE_BYTES. */
  maxLineBytes?: number
  /**
   * Each line after the first offered as bytes (`bytes[start, end)`, without its `\n` or
   * `\r\n`) before it is decoded: true when the callee took it, and then it is never
   * decoded. A reader that can read its common lines from bytes (the app's parse worker)
   * skips the UTF-8 decoding, which in a browser costs more than parsing.
   */
  onBytes?: (bytes: Uint8Array, start: number, end: number, line: number) => boolean
}

/**
 * Bytes to lines, in bounded memory: chunks of any size, cut anywhere (inside a line, a
 * CRLF or a multi-byte UTF-8 character); a line is given whole to `onLine` with its number
 * (1-based) and without its `\n` or `\r\n`. A line longer than the limit (64 KiB for the
 * first, the header) is TRACE_CORRUPT as soon as that many bytes have come, so one endless
 * line never fills memory. Invalid UTF-8 becomes U+FFFD, as Node's Buffer.toString does,
 * and a byte-order mark is kept (a header that starts with one is not JSON).
 */
export class LineSplitter {
  /** Lines given so far. */
  lines = 0
  private readonly name: string
  private readonly maxLineBytes: number
  private readonly onLine: (text: string, line: number) => void
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  /** The line being read, as pieces of chunks (their sum is at most the line limit). */
  private parts: Uint8Array[] = []
  private partBytes = 0
  private readonly onBytes: LineOptions['onBytes']

  constructor(name: string, onLine: (text: string, line: number) => void, options: LineOptions = {}) {
    this.name = name
    this.onLine = onLine
    this.maxLineBytes = options.maxLineBytes ?? TRACE_MAX_LINE_BYTES
    this.onBytes = options.onBytes
  }

  private limit(): number {
    return this.lines === 0 ? TRACE_HEADER_MAX_BYTES : this.maxLineBytes
  }

  private give(text: string): void {
    this.lines++
    this.onLine(text.endsWith('\r') ? text.slice(0, -1) : text, this.lines)
  }

  push(chunk: Uint8Array): void {
    if (this.onBytes) return this.pushLines(chunk)
    let start = 0
    let newline = chunk.indexOf(10)
    if (newline === -1) return this.keep(chunk)
    // The line begun in earlier chunks ends here.
    if (this.partBytes + newline > this.limit()) throw lineTooLong(this.name, this.lines + 1, this.maxLineBytes)
    if (this.parts.length) {
      this.parts.push(chunk.subarray(0, newline))
      this.give(this.decoder.decode(concat(this.parts, this.partBytes + newline)))
      this.parts = []
      this.partBytes = 0
      start = newline + 1
    }
    const last = chunk.lastIndexOf(10)
    if (start <= last) {
      // The whole lines of this chunk, decoded at once: a newline byte is never inside a
      // multi-byte character, so the block is whole UTF-8.
      const block = this.decoder.decode(chunk.subarray(start, last))
      const checkEach = last - start > this.maxLineBytes || this.lines === 0
      let from = 0
      let bytesFrom = start
      for (;;) {
        const at = block.indexOf('\n', from)
        const end = at === -1 ? block.length : at
        if (checkEach) {
          // Only a block longer than the limit can hold a line that is: measure in bytes.
          const bytesAt = at === -1 ? last : chunk.indexOf(10, bytesFrom)
          if (bytesAt - bytesFrom > this.limit()) throw lineTooLong(this.name, this.lines + 1, this.maxLineBytes)
          bytesFrom = bytesAt + 1
        }
        this.give(block.slice(from, end))
        if (at === -1) break
        from = at + 1
      }
    }
    if (last + 1 < chunk.length) this.keep(chunk.subarray(last + 1))
  }

  /** push, line by line as bytes (with onBytes): a line not taken as bytes is decoded alone. */
  private pushLines(chunk: Uint8Array): void {
    let start = 0
    if (this.partBytes) {
      const newline = chunk.indexOf(10)
      if (newline === -1) return this.keep(chunk)
      if (this.partBytes + newline > this.limit()) throw lineTooLong(this.name, this.lines + 1, this.maxLineBytes)
      this.parts.push(chunk.subarray(0, newline))
      const whole = concat(this.parts, this.partBytes + newline)
      this.parts = []
      this.partBytes = 0
      this.line(whole, 0, whole.length)
      start = newline + 1
    }
    for (;;) {
      const newline = chunk.indexOf(10, start)
      if (newline === -1) break
      if (newline - start > this.limit()) throw lineTooLong(this.name, this.lines + 1, this.maxLineBytes)
      this.line(chunk, start, newline)
      start = newline + 1
    }
    if (start < chunk.length) this.keep(chunk.subarray(start))
  }

  private line(bytes: Uint8Array, start: number, end: number): void {
    const line = this.lines + 1
    const last = end > start && bytes[end - 1] === 13 ? end - 1 : end
    if (line > 1 && this.onBytes!(bytes, start, last, line)) {
      this.lines = line
      return
    }
    this.give(this.decoder.decode(bytes.subarray(start, end)))
  }

  private keep(piece: Uint8Array): void {
    this.partBytes += piece.length
    if (this.partBytes > this.limit()) throw lineTooLong(this.name, this.lines + 1, this.maxLineBytes)
    // A copy: the caller may reuse its chunk's memory (a stream reader does).
    this.parts.push(piece.slice())
  }

  /**
   * The end of the input: a last line without its newline (a torn write at the very end,
   * or a hand-made file) is given now. Returns its number, or null if the input ended
   * with a newline.
   */
  end(): number | null {
    if (this.partBytes === 0) return null
    this.give(this.decoder.decode(concat(this.parts, this.partBytes)))
    this.parts = []
    this.partBytes = 0
    return this.lines
  }
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(bytes)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

// ---- A whole file, strictly ------------------------------------------------------------

export interface TraceFileOptions extends LineOptions {
  /** Default TRACE_MAX_BAD_LINES: empty lines, which are skipped, count towards it. */
  maxBadLines?: number
  /**
   * Each good event with its line's text, instead of keeping it in `events`: a reader that
   * passes the text on (the app's worker) keeps a string per event, not an object, and a
   * million objects are what costs a reader its time (the collector's) and its memory.
   */
  take?: (e: SockscopeEvent, text: string) => void
  /**
   * Each line offered as bytes first (see LineOptions.onBytes): the event's time when the
   * callee took it as an event of a known kind whose every field is right (it must accept
   * only what the text path would), else undefined, and the line is read as text.
   */
  takeBytes?: (bytes: Uint8Array, start: number, end: number) => number | undefined
}

/**
 * A trace read whole or not at all (the export, the app): the header checked, every event
 * of a known kind checked for every field its readers use, and any line that is not an
 * event TRACE_CORRUPT with the file's name and the line's number — except a last line cut
 * off without its newline (a recorder that crashed mid-write), which loses only itself and
 * is reported as `truncatedLine`, and events of kinds a newer writer knows, skipped and
 * counted. Empty lines are skipped. Events are kept in file order, with `ordered` saying
 * whether that is time order. Feed it chunks, then call end().
 */
export class TraceFileReader {
  readonly name: string
  header: TraceHeader | undefined
  /** The events read so far, in file order; the caller may take them (and empty the array) between chunks. */
  events: SockscopeEvent[] = []
  /** Events read in all (skipped kinds not counted). */
  count = 0
  /** Events of kinds this Sockscope does not know, by kind: skipped. */
  readonly skipped = new Map<string, number>()
  /** The line cut off at the end of the file, if there was one. */
  truncatedLine: number | null = null
  /** The user's notes the file carries (version 3), in file order. */
  readonly notes: TraceNote[] = []
  /** The lessons run in it (version 3), in file order. */
  readonly lessons: TraceLessonRun[] = []
  /** Whether every event so far came at or after the one before it. */
  ordered = true
  firstT = Number.POSITIVE_INFINITY
  lastT = Number.NEGATIVE_INFINITY
  private prevT = Number.NEGATIVE_INFINITY
  private readonly splitter: LineSplitter
  private readonly maxBadLines: number
  private readonly keep: ((e: SockscopeEvent, text: string) => void) | undefined
  private empties = 0
  /** A line that is not an event: fatal once another line follows it or the file ends with a newline. */
  private pending: TraceProblem | null = null

  constructor(name: string, options: TraceFileOptions = {}) {
    this.name = name
    this.maxBadLines = options.maxBadLines ?? TRACE_MAX_BAD_LINES
    this.keep = options.take
    const takeBytes = options.takeBytes
    this.splitter = new LineSplitter(name, (text, line) => this.take(text, line), {
      ...options,
      onBytes: takeBytes && ((bytes, start, end) => !this.pending && this.taken(takeBytes(bytes, start, end))),
    })
  }

  push(chunk: Uint8Array): void {
    try {
      this.splitter.push(chunk)
    } catch (err) {
      throw withLineNumber(err, this.name)
    }
  }

  end(): void {
    try {
      const torn = this.splitter.end()
      if (!this.header) throw emptyTrace(this.name)
      if (this.pending) {
        if (torn !== this.pending.line) throw badLine(this.name, this.pending.line, this.pending.message)
        this.truncatedLine = torn
      }
    } catch (err) {
      throw withLineNumber(err, this.name)
    }
  }

  /** Empty lines skipped so far (they count towards maxBadLines). */
  get emptyLines(): number {
    return this.empties
  }

  /** An event taken as bytes, counted as take counts one (false: none was). */
  private taken(t: number | undefined): boolean {
    if (t === undefined) return false
    if (t < this.prevT) this.ordered = false
    this.prevT = t
    if (t < this.firstT) this.firstT = t
    if (t > this.lastT) this.lastT = t
    this.count++
    return true
  }

  private take(text: string, line: number): void {
    if (line === 1) {
      this.header = parseHeader(text, this.name)
      return
    }
    if (this.pending) throw badLine(this.name, this.pending.line, this.pending.message)
    // (A JSON line starts with its brace: only other lines need the slower look.)
    if (text.charCodeAt(0) !== 123 && text.trim() === '') {
      if (++this.empties > this.maxBadLines) throw tooManyBadLines(this.name, this.maxBadLines, { line, message: 'an empty line' })
      return
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      this.pending = { line, message: 'not valid JSON' }
      return
    }
    const record = parseRecord(json)
    if (record) {
      if ('note' in record) this.notes.push(record.note)
      else if ('lesson' in record) this.lessons.push(record.lesson)
      else if ('other' in record) this.skipped.set(record.other, (this.skipped.get(record.other) ?? 0) + 1)
      else throw badLine(this.name, line, record.wrong)
      return
    }
    const e = json as SockscopeEvent
    // The strict check first: it is what nearly every line passes. Only a line that fails
    // it is asked whether it is an event at all (a torn last line may not be).
    const known = KNOWN_KINDS.has((e as { kind?: unknown })?.kind as string)
    const wrong = known ? wrongField(e) : undefined
    if (!known || wrong) {
      const notEvent = notAnEvent(json)
      if (notEvent) {
        this.pending = { line, message: notEvent }
        return
      }
      if (wrong) throw badLine(this.name, line, wrong)
      this.skipped.set(e.kind, (this.skipped.get(e.kind) ?? 0) + 1)
      return
    }
    const t = e.t
    if (t < this.prevT) this.ordered = false
    this.prevT = t
    if (t < this.firstT) this.firstT = t
    if (t > this.lastT) this.lastT = t
    this.count++
    if (this.keep) this.keep(e, text)
    else this.events.push(e)
  }
}

/** Stable sort by time, done only when needed: traces are written nearly in order. */
export function sortByTime(events: SockscopeEvent[]): SockscopeEvent[] {
  return events.sort((a, b) => a.t - b.t)
}
