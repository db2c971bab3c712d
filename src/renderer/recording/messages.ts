import type { TraceHeader, TraceLessonRun, TraceNote } from '../../servers/trace-lines.ts'
import type { StoreSnapshot } from '../model/event-store.ts'

/**
 * What the parse worker and the page say to each other. The page sends the files; the
 * worker answers with progress while it reads, then (once every file is read, since
 * grouping needs each file's last event) what it read of each file, the store of their
 * events, and `done`.
 */

export interface OpenRequest {
  type: 'open'
  files: readonly { name: string; blob: Blob }[]
  /** Read only this part of the one file (recording/split-read.ts: two workers read a large file at once). */
  part?: FilePart
}

/** Bytes [from, to) of a file, cut at line ends; a part from past 0 is read after the file's header line. */
export interface FilePart {
  from: number
  to: number
}

/** A file that was read, as the banner and the file list show it. */
export interface OpenedFile {
  name: string
  bytes: number
  header: Pick<TraceHeader, 'version' | 'command' | 'createdAt' | 'originNs' | 'ended'>
  /** Events read from it (skipped kinds not counted). */
  events: number
  /** Events of kinds this Sockscope does not know, by kind: skipped. */
  skipped: Record<string, number>
  /** The line cut off at the end of the file, if there was one. */
  truncatedLine: number | null
  /** Whether its events were out of time order in the file (they are sorted). */
  sorted: boolean
  /** The user's notes it carries (version 3), on the recording's axis. */
  notes: TraceNote[]
  /** The lessons run in it (version 3), on the recording's axis and with its group's run ids. */
  lessons: TraceLessonRun[]
  /** Its group (0: the earliest run), the group's label ('' for the first, then 'B'…), and µs from the group's zero to the file's. */
  group: number
  label: string
  offsetUs: number
  /** The group's zero: the earliest originNs of its files. */
  zeroNs: string
  /** (A part of a file only) the empty lines it skipped: the parts' sum must stay within the file's limit. */
  emptyLines?: number
}

export type WorkerMessage =
  | { type: 'progress'; read: number; total: number }
  /** Every file read; `problems`: the files that could not be (one message each, naming the file and the line). */
  /** `readMs`: how long reading and checking took in the worker. */
  | { type: 'files'; files: OpenedFile[]; problems: string[]; readMs: number }
  /**
   * Every event of the files, on the recording's axis, as the EventStore the worker built:
   * its buffers are transferred, and the page adopts it (EventStore.adopt) rather than
   * parsing and appending every event again.
   */
  | { type: 'store'; snapshot: StoreSnapshot }
  | { type: 'done'; events: number }
