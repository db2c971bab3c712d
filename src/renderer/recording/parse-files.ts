import type { SockscopeEvent } from '../../servers/events.ts'
import { sortByTime, TraceFileReader, type TraceFileOptions } from '../../servers/trace-lines.ts'
import { mergeByTime, placeEvent, placeFiles } from './group.ts'
import type { OpenedFile, WorkerMessage } from './messages.ts'

/**
 * The parse worker's work, without the worker (so Node's tests run it as it is): read
 * each file as a stream, check it (trace-lines.ts's TraceFileReader, the export's reader
 * too), place the files on one axis (group.ts), and post the events in time order.
 */

/** Events per message: large enough that messages are few, small enough that each lands within a frame or two. */
export const BATCH_EVENTS = 16_384

/** How often progress is posted at most (ms). */
const PROGRESS_EVERY_MS = 50

interface ReadFile {
  name: string
  bytes: number
  reader: TraceFileReader
  events: SockscopeEvent[]
}

/** One file as a stream of bytes into the reader; rejects with TRACE_CORRUPT (file and line). */
export async function readTraceBlob(name: string, blob: Blob, onBytes: (bytes: number) => void, options: TraceFileOptions = {}): Promise<ReadFile> {
  const reader = new TraceFileReader(name, options)
  const events: SockscopeEvent[] = []
  const stream = blob.stream().getReader()
  try {
    for (;;) {
      const { done, value } = await stream.read()
      if (done) break
      reader.push(value)
      for (const e of reader.events) events.push(e)
      reader.events = []
      onBytes(value.byteLength)
    }
    reader.end()
    for (const e of reader.events) events.push(e)
    reader.events = []
  } catch (err) {
    if ((err as { code?: string }).code === 'TRACE_CORRUPT') throw err
    throw Object.assign(new Error(`cannot read ${name}: ${(err as Error).message}`), { code: 'TRACE_CORRUPT' })
  } finally {
    stream.releaseLock()
  }
  if (!reader.ordered) sortByTime(events)
  return { name, bytes: blob.size, reader, events }
}

/** Read every file, then post what was read and the events, on one axis, in time order. */
export async function parseFiles(files: readonly { name: string; blob: Blob }[], post: (message: WorkerMessage) => void, options: TraceFileOptions = {}): Promise<void> {
  const total = files.reduce((n, f) => n + f.blob.size, 0)
  let read = 0
  let postedAt = 0
  const progress = (bytes: number) => {
    read += bytes
    const now = performance.now()
    if (now - postedAt < PROGRESS_EVERY_MS) return
    postedAt = now
    post({ type: 'progress', read, total })
  }
  const good: ReadFile[] = []
  const problems: string[] = []
  for (const file of files) {
    try {
      good.push(await readTraceBlob(file.name, file.blob, progress, options))
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  post({ type: 'progress', read: total, total })
  const places = placeFiles(good.map((f) => ({ originNs: f.reader.header!.originNs, firstT: f.reader.firstT, lastT: f.reader.lastT })))
  const opened: OpenedFile[] = good.map((f, i) => {
    const { version, command, createdAt, originNs, ended } = f.reader.header!
    return {
      name: f.name,
      bytes: f.bytes,
      header: { version, command, createdAt, originNs, ended },
      events: f.reader.count,
      skipped: Object.fromEntries(f.reader.skipped),
      truncatedLine: f.reader.truncatedLine,
      sorted: !f.reader.ordered,
      ...places[i]!,
    }
  })
  post({ type: 'files', files: opened, problems })
  good.forEach((f, i) => {
    for (const e of f.events) placeEvent(e, places[i]!)
  })
  let count = 0
  for (const events of mergeByTime(good.map((f) => f.events), BATCH_EVENTS)) {
    count += events.length
    post({ type: 'events', events })
  }
  post({ type: 'done', events: count })
}
