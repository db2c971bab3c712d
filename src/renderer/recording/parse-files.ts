import type { SockscopeEvent } from '../../servers/events.ts'
import { TRACE_HEADER_MAX_BYTES, TraceFileReader, type TraceFileOptions } from '../../servers/trace-lines.ts'
import { EventStore, snapshotBuffers } from '../model/event-store.ts'
import { placeEvent, placeFiles, placeLesson } from './group.ts'
import { LineScanner } from './line-scanner.ts'
import type { FilePart, OpenedFile, WorkerMessage } from './messages.ts'

/**
 * The parse worker's work, without the worker (so Node's tests run it as it is): read
 * each file as a stream, check it (trace-lines.ts's TraceFileReader, the export's reader
 * too), place the files on one axis (group.ts), and build the page's EventStore here, off
 * the page's thread: the page adopts its columns (transferred, not copied) and only sorts
 * them into tracks. One file goes into the store as it is read (the store keeps time order
 * itself); several are kept as their lines until all are read, then merged by time.
 */

/** Events appended to the store at a time. */
const APPEND_EVENTS = 4096

/** About how many bytes a trace's line takes (the generated 1M-event trace: 139): sizes the store once for a file of known size. */
const BYTES_PER_EVENT = 128

/** How often progress is posted at most (ms). */
const PROGRESS_EVERY_MS = 50

/** A file read: its reader's account and, when it is to be merged with others, each good event's line and time, in file order; `order`, when the file was not in time order, the lines by time. */
interface ReadFile {
  name: string
  bytes: number
  reader: TraceFileReader
  lines: string[]
  times: number[]
  order: Uint32Array | null
}

/**
 * One file as a stream of bytes into the reader; rejects with TRACE_CORRUPT (file and line).
 * With `into`, its events go into that store as they are read, and no line is kept.
 */
export async function readTraceBlob(name: string, blob: Blob, onBytes: (bytes: number) => void, options: TraceFileOptions = {}, into?: EventStore, header?: Uint8Array): Promise<ReadFile> {
  const lines: string[] = []
  const times: number[] = []
  // Into a store, the common lines go from their bytes to its rows (line-scanner.ts), the
  // rest as events in batches; rows and batches are settled in file order, one before the other.
  let batch: SockscopeEvent[] = []
  const scanner = into && new LineScanner(into)
  let rowsFrom = into?.size ?? 0
  const settleRows = () => {
    if (into!.size > rowsFrom) into!.commitRows(rowsFrom)
    rowsFrom = into!.size
  }
  const appendBatch = () => {
    if (batch.length) into!.append(batch)
    batch = []
    rowsFrom = into!.size
  }
  const reader = new TraceFileReader(name, {
    ...options,
    take: into
      ? (e: SockscopeEvent) => {
          settleRows()
          batch.push(e)
          if (batch.length === APPEND_EVENTS) appendBatch()
        }
      : (e: SockscopeEvent, text: string) => {
          lines.push(text)
          times.push(e.t)
        },
    takeBytes:
      scanner &&
      ((bytes, start, end) => {
        if (batch.length) appendBatch()
        return scanner.scan(bytes, start, end)
      }),
  })
  const stream = blob.stream().getReader()
  try {
    // A later part of a file (see FilePart): its header line first, as if the part followed it.
    if (header) reader.push(header)
    for (;;) {
      const { done, value } = await stream.read()
      if (done) break
      reader.push(value)
      if (into) settleRows()
      onBytes(value.byteLength)
    }
    reader.end()
  } catch (err) {
    if ((err as { code?: string }).code === 'TRACE_CORRUPT') throw err
    throw Object.assign(new Error(`cannot read ${name}: ${(err as Error).message}`), { code: 'TRACE_CORRUPT' })
  } finally {
    stream.releaseLock()
  }
  if (into) {
    settleRows()
    appendBatch()
  }
  let order: Uint32Array | null = null
  if (!reader.ordered && !into) {
    // Stable: equal times keep the file's order.
    order = Uint32Array.from({ length: lines.length }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b)
  }
  return { name, bytes: blob.size, reader, lines, times, order }
}

/**
 * Read every file, then post what was read and the store of their events, on one axis.
 * With `part`, only bytes [from, to) of the one file are read (a later part after the
 * file's header line), and what is posted is that part's (recording/split-read.ts joins two).
 */
export async function parseFiles(
  whole: readonly { name: string; blob: Blob }[],
  post: (message: WorkerMessage, transfer?: Transferable[]) => void,
  options: TraceFileOptions = {},
  part?: FilePart,
): Promise<void> {
  const started = performance.now()
  const header = part && part.from > 0 ? await headerLine(whole[0]!.blob) : undefined
  const files = part ? [{ name: whole[0]!.name, blob: whole[0]!.blob.slice(part.from, part.to) }] : whole
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
  // One file needs no placing (it is the first group, from its own zero): straight into the store.
  const direct = files.length === 1 ? new EventStore(Math.max(4096, Math.ceil(files[0]!.blob.size / BYTES_PER_EVENT))) : undefined
  const good: ReadFile[] = []
  const problems: string[] = []
  for (const file of files) {
    try {
      good.push(await readTraceBlob(file.name, file.blob, progress, options, direct, header))
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
      // On the recording's axis, as its events are.
      notes: f.reader.notes.map((n) => ({ t: n.t + places[i]!.offsetUs, text: n.text })),
      lessons: f.reader.lessons.map((l) => placeLesson(l, places[i]!)),
      ...places[i]!,
      ...(part ? { emptyLines: f.reader.emptyLines } : {}),
    }
  })
  post({ type: 'files', files: opened, problems, readMs: performance.now() - started })
  if (good.length === 0) {
    post({ type: 'done', events: 0 })
    return
  }
  const store = direct ?? mergeIntoStore(good, places)
  const snapshot = store.snapshot()
  post({ type: 'store', snapshot }, snapshotBuffers(snapshot))
  post({ type: 'done', events: store.size })
}

/** The file's first line with its newline (what a later part is read after); the whole head when it has none, which the first part reports. */
async function headerLine(blob: Blob): Promise<Uint8Array> {
  const head = new Uint8Array(await blob.slice(0, TRACE_HEADER_MAX_BYTES + 2).arrayBuffer())
  const newline = head.indexOf(10)
  return newline === -1 ? head : head.subarray(0, newline + 1)
}

/** Several files' lines, merged in time order, each event moved onto the recording's axis, in one store. */
function mergeIntoStore(good: readonly ReadFile[], places: ReturnType<typeof placeFiles>): EventStore {
  const store = new EventStore(Math.max(4096, good.reduce((n, f) => n + f.lines.length, 0)))
  for (const batch of mergeByTime(good.map((f, i) => ({ times: f.times, order: f.order, offsetUs: places[i]!.offsetUs })), APPEND_EVENTS)) {
    const events: SockscopeEvent[] = []
    for (let k = 0; k < batch.length; k += 3) {
      const { lines, order } = good[batch[k]!]!
      const place = places[batch[k]!]!
      const moved = place.offsetUs !== 0 || place.label !== ''
      for (let i = batch[k + 1]!, end = i + batch[k + 2]!; i < end; i++) {
        const e = JSON.parse(lines[order ? order[i]! : i]!) as SockscopeEvent
        if (moved) placeEvent(e, place)
        events.push(e)
      }
    }
    store.append(events)
  }
  return store
}

interface TimedList {
  times: readonly number[]
  /** Positions by time, or null when the list is in time order already. */
  order: Uint32Array | null
  /** Added to every time: where the list sits on the recording's axis. */
  offsetUs: number
}

/**
 * Several lists, each in time order, merged into one time order, `size` events at a time
 * (a k-way merge: the lists are long and few; ties go to the earlier list). Each batch is
 * runs of one list, as triples [list, first position, count].
 */
export function* mergeByTime(lists: readonly TimedList[], size: number): Generator<number[]> {
  const at = lists.map(() => 0)
  const time = (k: number, i: number) => {
    const list = lists[k]!
    return list.times[list.order ? list.order[i]! : i]! + list.offsetUs
  }
  let batch: number[] = []
  let inBatch = 0
  for (;;) {
    // The list whose head comes first (the earliest list on a tie)…
    let best = -1
    let bestT = 0
    for (let k = 0; k < lists.length; k++) {
      if (at[k]! >= lists[k]!.times.length) continue
      const t = time(k, at[k]!)
      if (best === -1 || t < bestT) {
        best = k
        bestT = t
      }
    }
    if (best === -1) break
    // …gives every event up to the next head of another list (a tie with an earlier list goes to it).
    let limit = Number.POSITIVE_INFINITY
    let inclusive = true
    for (let k = 0; k < lists.length; k++) {
      if (k === best || at[k]! >= lists[k]!.times.length) continue
      const t = time(k, at[k]!)
      if (t < limit || (t === limit && k < best)) {
        limit = t
        inclusive = k > best
      }
    }
    const n = lists[best]!.times.length
    let i = at[best]!
    const from = i
    while (i < n && inBatch < size) {
      const t = time(best, i)
      if (!(t < limit || (inclusive && t === limit))) break
      i++
      inBatch++
    }
    batch.push(best, from, i - from)
    at[best] = i
    if (inBatch >= size) {
      yield batch
      batch = []
      inBatch = 0
    }
  }
  if (inBatch) yield batch
}
