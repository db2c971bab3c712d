import { createReadStream } from 'node:fs'
import type { SockscopeEvent } from '../events.ts'
import type { LoadedFile, Recording } from './recording.ts'
import { TraceFileReader, type TraceHeader } from '../trace-lines.ts'
import { readFailure } from '../trace.ts'

/**
 * Trace files of one run (a server's, a client's) read for export: each read whole or not
 * at all by trace-lines.ts's TraceFileReader (the app's reader too), its events checked
 * for the fields the export reads, then all of them put on one time axis. Any line that is
 * not an event is TRACE_CORRUPT with its line number — except a last line cut off without
 * its newline (a recorder that crashed mid-write), which loses only itself, and kinds of a
 * newer writer, skipped.
 */

export type { LoadedFile, Recording } from './recording.ts'

/** What is drawn from the OS sampler: nothing in an export (the screen's OS columns have no place in it). */
const OS_KINDS = new Set(['proc', 'sockets'])

async function loadFile(path: string): Promise<{ header: TraceHeader; events: SockscopeEvent[]; osEvents: number; skipped: Map<string, number>; truncatedLine: number | null }> {
  const reader = new TraceFileReader(path)
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024 })
  const events: SockscopeEvent[] = []
  let osEvents = 0
  const take = () => {
    for (const e of reader.events) {
      if (OS_KINDS.has(e.kind)) osEvents++
      else events.push(e)
    }
    reader.events = []
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      reader.push(chunk)
      take()
    }
    reader.end()
    take()
  } catch (err) {
    throw readFailure(err, path)
  } finally {
    stream.destroy()
  }
  return { header: reader.header!, events, osEvents, skipped: reader.skipped, truncatedLine: reader.truncatedLine }
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
