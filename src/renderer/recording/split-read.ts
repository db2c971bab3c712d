import { TRACE_MAX_BAD_LINES } from '../../servers/trace-lines.ts'
import { joinSnapshots, type StoreSnapshot } from '../model/event-store.ts'
import type { FilePart, OpenedFile } from './messages.ts'

/**
 * A large trace read by two workers at once, each its half, on two cores (a 139 MB,
 * million-event trace takes about 3 s to read and check on one): the file is cut at the
 * line end nearest its middle, each part is read into a store of its own, and the two are
 * joined (EventStore's joinSnapshots) into what one worker reading the whole would have
 * made. Where the parts alone cannot say what the whole would (a bad line in the second
 * part, whose number depends on the first; a torn last line; too many empty lines in
 * all), the file is read again whole, by one worker, so that every message about a bad
 * file is the one it always was.
 */

/** Smaller files are read by one worker: starting a second costs more than it saves. */
export const SPLIT_MIN_BYTES = 32 * 1024 * 1024

/** How far past the middle a line end is looked for (a line is at most 1 MiB; most are 150 bytes). */
export const SPLIT_PROBE_BYTES = 64 * 1024

/** What one worker posted for its part: as parseFiles posts it. */
export interface PartRead {
  files: OpenedFile[]
  problems: string[]
  readMs: number
  snapshot: StoreSnapshot | null
}

/** Where a probe is read from: the byte before the middle (a line that ends there starts the second part at the middle). */
export function probeFrom(size: number): number {
  return Math.floor(size / 2) - 1
}

/**
 * The two parts of a file of `size` bytes, given the bytes `probe` read from probeFrom(size):
 * the first ends with the first line end in the probe, newline included; null when the
 * probe holds none (one worker reads the file then).
 */
export function splitParts(size: number, probe: Uint8Array): [FilePart, FilePart] | null {
  const newline = probe.indexOf(10)
  if (newline === -1) return null
  const cut = probeFrom(size) + newline + 1
  if (cut <= 0 || cut >= size) return null
  return [
    { from: 0, to: cut },
    { from: cut, to: size },
  ]
}

export type Joined =
  /** The file could not be read: the first part's problems are the file's (its line numbers are the file's). */
  | { kind: 'failed'; problems: string[]; readMs: number }
  /** The parts cannot say what the whole would: read it whole. */
  | { kind: 'whole' }
  | { kind: 'joined'; file: OpenedFile; snapshot: StoreSnapshot; events: number }

/** The two parts' reads as the one file's (`bytes`: the whole file's size). */
export function joinParts(first: PartRead, second: PartRead, bytes: number, maxBadLines = TRACE_MAX_BAD_LINES): Joined {
  const a = first.files[0]
  if (!a || !first.snapshot) return { kind: 'failed', problems: first.problems, readMs: first.readMs }
  const b = second.files[0]
  if (!b || !second.snapshot || b.truncatedLine !== null || (a.emptyLines ?? 0) + (b.emptyLines ?? 0) > maxBadLines) return { kind: 'whole' }
  const skipped = { ...a.skipped }
  for (const [kind, n] of Object.entries(b.skipped)) skipped[kind] = (skipped[kind] ?? 0) + n
  const snapshot = joinSnapshots(first.snapshot, second.snapshot)
  // In time order only if each part was and the second begins no earlier than the first ended.
  const sorted = a.sorted || b.sorted || (first.snapshot.size > 0 && second.snapshot.size > 0 && first.snapshot.maxT > second.snapshot.minT)
  const { emptyLines: _a, ...rest } = a
  return {
    kind: 'joined',
    file: { ...rest, bytes, events: a.events + b.events, skipped, truncatedLine: null, sorted, notes: [...a.notes, ...b.notes], lessons: [...a.lessons, ...b.lessons] },
    snapshot,
    events: snapshot.size,
  }
}
