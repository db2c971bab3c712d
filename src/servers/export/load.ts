import { open } from 'node:fs/promises'
import { z } from 'zod'
import { KINDS } from '../../renderer/model/event-store.ts'
import { SockscopeError } from '../errors.ts'
import type { SockscopeEvent } from '../events.ts'
import { type TraceHeader, streamTrace } from '../trace.ts'

/**
 * Trace files of one run (a server's, a client's) read for export: each streamed by the
 * trace reader, its events checked for the fields the export reads, then all of them put
 * on one time axis. Export is stricter than the app's reader, which skips a bad line: a
 * file is exported whole or not at all, so any line that is not an event is TRACE_CORRUPT
 * with its line number — except a last line cut off without its newline (a recorder that
 * crashed mid-write), which loses only itself, and kinds of a newer writer, skipped.
 */

export interface LoadedFile {
  path: string
  header: TraceHeader
  /** µs from the recording's zero (the earliest file's originNs) to this file's zero. */
  offsetUs: number
  /** Events read from it (skipped kinds not counted). */
  events: number
  /** Events of kinds this Sockscope does not know, by kind: skipped. */
  skipped: Map<string, number>
  /** The line cut off at the end of the file, if there was one. */
  truncatedLine: number | null
}

export interface Recording {
  files: LoadedFile[]
  /** Every event of every file, µs since the recording's zero, in time order (stable). */
  events: SockscopeEvent[]
  /** The OS sampler's events (proc, sockets) are read and checked but left out: nothing exported draws them. */
  osEvents: number
}

const KNOWN = new Set<string>(KINDS)
/** What is drawn from the OS sampler: nothing in an export (the screen's OS columns have no place in it). */
const OS_KINDS = new Set(['proc', 'sockets'])

const conn = z.string()
const optConn = conn.optional()
const waiter = z.enum(['thread', 'task']).optional()
const blockOn = z.enum(['recv', 'send', 'sleep', 'accept', 'lock', 'select'])
const count = z.number().int().nonnegative()

/** The fields the export (and the derive functions it uses) read, kind by kind. */
const FIELDS: Record<string, z.ZodType> = {
  listen: z.looseObject({ host: z.string(), port: count, model: z.string(), app: z.string() }),
  connect: z.looseObject({ conn }),
  queued: z.looseObject({ conn }),
  accept: z.looseObject({ conn }),
  recv: z.looseObject({ conn, bytes: count, preview: z.string() }),
  send: z.looseObject({ conn, bytes: count, preview: z.string() }),
  close: z.looseObject({ conn, by: z.enum(['local', 'peer', 'error']), reset: z.enum(['sent', 'received']).optional() }),
  fork: z.looseObject({ conn, childPid: z.number().int() }),
  exit: z.looseObject({ conn: optConn, childPid: z.number().int(), code: z.number().nullable(), signal: z.string().nullable() }),
  reap: z.looseObject({ conn: optConn, childPid: z.number().int(), policy: z.string(), trigger: z.string(), modelled: z.boolean() }),
  'thread-start': z.looseObject({ conn, threadId: z.number().int() }),
  'thread-end': z.looseObject({ conn, threadId: z.number().int() }),
  'task-start': z.looseObject({ conn, task: z.string() }),
  'task-end': z.looseObject({ conn, task: z.string() }),
  wakeup: z.looseObject({ readable: z.array(z.string()), writable: z.array(z.string()), waitedUs: z.number() }),
  block: z.looseObject({ conn: optConn, on: blockOn, waiter, sockets: z.number().optional(), timeoutMs: z.number().optional(), limit: z.number().optional() }),
  unblock: z.looseObject({ conn: optConn, on: blockOn, waiter }),
  'lock-wait': z.looseObject({ conn: optConn, lock: z.string(), waiter }),
  'lock-acquire': z.looseObject({ conn: optConn, lock: z.string(), waiter }),
  'lock-release': z.looseObject({ conn: optConn, lock: z.string() }),
  phase: z.looseObject({ conn, phase: z.string(), edge: z.enum(['begin', 'end']) }),
  state: z.looseObject({ conn: optConn, key: z.string(), value: z.number() }),
  error: z.looseObject({ conn: optConn, code: z.string(), message: z.string() }),
  proc: z.looseObject({ pid: z.number().int(), ppid: z.number().int(), state: z.string(), command: z.string() }),
  sockets: z.looseObject({ pid: z.number().int(), sockets: z.array(z.unknown()).nullable() }),
}
const SOURCE = z.object({
  t: z.number().refine(Number.isFinite, 'a finite number'),
  src: z.looseObject({ role: z.enum(['server', 'client', 'lab', 'os']), run: z.string(), pid: z.number().int(), tid: z.number().int() }),
})

const corrupt = (path: string, line: number, what: string) => new SockscopeError('TRACE_CORRUPT', `${path}, line ${line}: ${what}`)

/** The reader's refusals of a whole file name its first line in words: say "line 1" as every other refusal says its line. */
function withLine(err: unknown, path: string): unknown {
  if (!(err instanceof SockscopeError) || /\bline \d+\b/.test(err.message) || err.message.startsWith('cannot read ')) return err
  const message = err.message
  if (message.startsWith(`${path}: `)) return new SockscopeError(err.code, `${path}, line 1: ${message.slice(path.length + 2)}`)
  if (message.startsWith(`${path} is empty`)) return new SockscopeError(err.code, `${path}, line 1: the file is empty, so it is not a Sockscope trace`)
  if (message.startsWith(`${path} is `)) return new SockscopeError(err.code, `${path}, line 1: the header says it is ${message.slice(path.length + 4)}`)
  return new SockscopeError(err.code, `${message} (line 1)`)
}

/** Whether the file's last byte is a newline: a last line without one was cut off mid-write. */
async function endsWithNewline(path: string): Promise<boolean> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    if (size === 0) return false
    const { buffer } = await file.read(Buffer.alloc(1), 0, 1, size - 1)
    return buffer[0] === 10
  } finally {
    await file.close()
  }
}

function checkEvent(e: SockscopeEvent, path: string, line: number): void {
  const base = SOURCE.safeParse(e)
  const fields = base.success ? (FIELDS[e.kind]?.safeParse(e) ?? base) : base
  if (fields.success) return
  const issue = fields.error.issues[0]!
  const where = issue.path.length ? `field ${issue.path.join('.')}` : 'a field'
  throw corrupt(path, line, `a ${e.kind} event whose ${where} is wrong: ${issue.message}`)
}

async function loadFile(path: string): Promise<{ header: TraceHeader; events: SockscopeEvent[]; osEvents: number; skipped: Map<string, number>; truncatedLine: number | null }> {
  let header: TraceHeader | undefined
  const events: SockscopeEvent[] = []
  const skipped = new Map<string, number>()
  let osEvents = 0
  /** A line that is not an event: fatal unless it is the file's last and was cut off. */
  let pending: { line: number; message: string } | null = null
  let line = 2
  try {
    for await (const record of streamTrace(path)) {
      if ('header' in record) {
        header = record.header
        continue
      }
      // Every line after the header is an event or a problem, in file order: number the events.
      const problems = new Map(record.problems.map((p) => [p.line, p]))
      let next = 0
      for (let end = line + record.events.length + record.problems.length; line < end; line++) {
        const problem = problems.get(line)
        if (problem?.message === 'an empty line') continue
        if (pending) throw corrupt(path, pending.line, pending.message)
        if (problem) {
          pending = problem
          continue
        }
        const e = record.events[next++]!
        if (!KNOWN.has(e.kind)) {
          skipped.set(e.kind, (skipped.get(e.kind) ?? 0) + 1)
          continue
        }
        checkEvent(e, path, line)
        if (OS_KINDS.has(e.kind)) osEvents++
        else events.push(e)
      }
    }
  } catch (err) {
    throw withLine(err, path)
  }
  let truncatedLine: number | null = null
  if (pending) {
    if (await endsWithNewline(path)) throw corrupt(path, pending.line, pending.message)
    truncatedLine = pending.line
  }
  return { header: header!, events, osEvents, skipped, truncatedLine }
}

/**
 * Read trace files of one run and merge them on one time axis: an event's absolute time
 * is its file's originNs + t·1000 ns, and every time is rebased to the earliest file's
 * origin (the recording's zero), then sorted. Rejects with TRACE_CORRUPT (file and line).
 */
export async function loadRecording(paths: readonly string[]): Promise<Recording> {
  const loaded = []
  for (const path of paths) loaded.push({ path, ...(await loadFile(path)) })
  const origins = loaded.map((f) => BigInt(f.header.originNs))
  const zero = origins.reduce((a, b) => (b < a ? b : a))
  const files: LoadedFile[] = []
  const events: SockscopeEvent[] = []
  let osEvents = 0
  loaded.forEach((f, i) => {
    const offsetUs = Number(origins[i]! - zero) / 1000
    for (const e of f.events) {
      if (offsetUs !== 0) e.t += offsetUs
      events.push(e)
    }
    osEvents += f.osEvents
    files.push({ path: f.path, header: f.header, offsetUs, events: f.events.length, skipped: f.skipped, truncatedLine: f.truncatedLine })
  })
  events.sort((a, b) => a.t - b.t)
  return { files, events, osEvents }
}
