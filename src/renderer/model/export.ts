import type { SockscopeEvent } from '../../servers/events.ts'
import { toCsv } from '../../servers/export/csv.ts'
import { buildModel } from '../../servers/export/model.ts'
import { toPerfetto } from '../../servers/export/perfetto.ts'
import { perfettoJsonPieces } from '../../servers/export/perfetto-json.ts'
import type { EventStore } from './event-store.ts'

export type ExportFormat = 'perfetto' | 'csv'

/** Blob parts are joined this many at a time: few parts, and no one string of the whole file. */
const PIECES_PER_PART = 4096

export interface ExportFile {
  blob: Blob
  /** A file name: the recording's with the format's extension. */
  name: string
  /** What was written, in a few words (for the page to say). */
  summary: string
}

/**
 * What is on screen, exported as `sockscope export` writes it (the same model and the
 * same writers, servers/export/*): Chrome Trace Event JSON for ui.perfetto.dev and
 * chrome://tracing, or one CSV row per connection. The events are read from the store one
 * at a time; the OS sampler's readings are left out, as the CLI leaves them out.
 */
export function exportStore(store: EventStore, format: ExportFormat, baseName: string): ExportFile {
  const events: SockscopeEvent[] = []
  let osEvents = 0
  for (let i = 0; i < store.size; i++) {
    const e = store.event(store.order[i]!)
    if (!e) continue
    if (e.kind === 'proc' || e.kind === 'sockets') osEvents++
    else events.push(e)
  }
  const model = buildModel({ files: [], events, osEvents })
  const stem = baseName.replace(/\.(ndjson|jsonl|json)$/i, '')
  if (format === 'csv') {
    return { blob: new Blob([toCsv(model)], { type: 'text/csv' }), name: `${stem}.csv`, summary: `${model.connections.length} connections, one row each` }
  }
  const trace = toPerfetto(model)
  const parts: string[] = []
  let batch: string[] = []
  for (const piece of perfettoJsonPieces(trace)) {
    batch.push(piece)
    if (batch.length === PIECES_PER_PART) {
      parts.push(batch.join(''))
      batch = []
    }
  }
  parts.push(batch.join(''))
  return { blob: new Blob(parts, { type: 'application/json' }), name: `${stem}.perfetto.json`, summary: `${trace.traceEvents.length.toLocaleString('en-US')} trace events of ${events.length.toLocaleString('en-US')} events` }
}
