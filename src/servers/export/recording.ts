import type { SockscopeEvent } from '../events.ts'
import type { TraceHeader } from '../trace-lines.ts'

/**
 * A recording as the export reads it: its files and every event on one time axis.
 * Runtime-neutral (types only), so the app exports what is on screen with the same model
 * and writers as `sockscope export`, which reads files (load.ts).
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
