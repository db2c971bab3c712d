import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import readline from 'node:readline'
import { z } from 'zod'
import { SockscopeError } from './errors.ts'
import type { SockscopeEvent } from './events.ts'

/**
 * Trace files: NDJSON, one event per line, after a header line that names the format and
 * its version and records the run's clock origin.
 */
export const TRACE_FORMAT = 'sockscope-trace'
export const TRACE_VERSION = 1

const TraceHeader = z.object({
  format: z.literal(TRACE_FORMAT),
  version: z.number().int(),
  /** Monotonic ns of t = 0, so traces of one run from several commands line up. */
  originNs: z.string().regex(/^\d+$/),
  createdAt: z.string(),
  command: z.string(),
})
export type TraceHeader = z.infer<typeof TraceHeader>

const TraceEvent = z.looseObject({
  kind: z.string(),
  t: z.number(),
  src: z.object({ role: z.string(), run: z.string(), pid: z.number(), tid: z.number() }),
})

export class TraceWriter {
  private readonly stream: WriteStream
  private closed: Promise<void> | undefined
  count = 0

  constructor(path: string, header: Omit<TraceHeader, 'format' | 'version' | 'createdAt'>) {
    this.stream = createWriteStream(path)
    this.stream.on('error', () => {})
    const full: TraceHeader = { format: TRACE_FORMAT, version: TRACE_VERSION, createdAt: new Date().toISOString(), ...header }
    this.stream.write(`${JSON.stringify(full)}\n`)
  }

  /** Resolves once the file is open for writing, or rejects with a clear error. */
  ready(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.once('ready', () => resolve())
      this.stream.once('error', (err) => reject(new SockscopeError('BAD_OPTION', `--trace: cannot write ${path}: ${err.message}`)))
    })
  }

  write(events: readonly SockscopeEvent[]): void {
    if (events.length === 0 || this.closed) return
    this.count += events.length
    this.stream.write(events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => this.stream.end(() => resolve()))
    return this.closed
  }
}

export interface TraceProblem {
  line: number
  message: string
}

export interface Trace {
  header: TraceHeader
  /** Every valid event, ordered by time. */
  events: SockscopeEvent[]
  /** Lines that could not be read; the rest of the file is still loaded. */
  problems: TraceProblem[]
}

/**
 * Read a trace file. A missing or wrong header is TRACE_CORRUPT (nothing to trust);
 * a bad event line is reported in `problems` and skipped, so one torn line loses nothing else.
 */
export async function readTrace(path: string): Promise<Trace> {
  const lines = readline.createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  let header: TraceHeader | undefined
  const events: SockscopeEvent[] = []
  const problems: TraceProblem[] = []
  let n = 0
  try {
    for await (const line of lines) {
      n++
      if (n === 1) {
        header = parseHeader(line, path)
        continue
      }
      if (line.trim() === '') continue
      try {
        const parsed = TraceEvent.safeParse(JSON.parse(line))
        if (parsed.success) events.push(parsed.data as unknown as SockscopeEvent)
        else problems.push({ line: n, message: `not an event: ${parsed.error.issues[0]?.message}` })
      } catch {
        problems.push({ line: n, message: 'not valid JSON' })
      }
    }
  } catch (err) {
    if (err instanceof SockscopeError) throw err
    throw new SockscopeError('TRACE_CORRUPT', `cannot read ${path}: ${(err as Error).message}`)
  }
  if (!header) throw new SockscopeError('TRACE_CORRUPT', `${path} is empty: not a Sockscope trace`)
  events.sort((a, b) => a.t - b.t)
  return { header, events, problems }
}

function parseHeader(line: string, path: string): TraceHeader {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    throw new SockscopeError('TRACE_CORRUPT', `${path}: the first line is not JSON, so this is not a Sockscope trace`)
  }
  const parsed = TraceHeader.safeParse(json)
  if (!parsed.success) throw new SockscopeError('TRACE_CORRUPT', `${path}: the first line is not a ${TRACE_FORMAT} header`)
  if (parsed.data.version > TRACE_VERSION)
    throw new SockscopeError('TRACE_CORRUPT', `${path} is trace version ${parsed.data.version}; this Sockscope reads up to ${TRACE_VERSION}`)
  return parsed.data
}
