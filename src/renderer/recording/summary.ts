import type { OpenedFile } from './messages.ts'

/**
 * The recording in one line, for the top bar: `fork-server.ndjson + clients.ndjson ·
 * 1,234 events · truncated last line`, and the details a tooltip gives.
 */
export function recordingSummary(files: readonly OpenedFile[]): string {
  if (files.length === 0) return ''
  const names = files.length <= 3 ? files.map((f) => f.name).join(' + ') : `${files[0]!.name} + ${files.length - 1} more files`
  const parts = [names, `${count(files.reduce((n, f) => n + f.events, 0))} events`]
  const groups = new Set(files.map((f) => f.group)).size
  if (groups > 1) parts.push(`${groups} unrelated runs side by side`)
  const torn = files.filter((f) => f.truncatedLine !== null).length
  if (torn) parts.push(torn === 1 && files.length === 1 ? 'truncated last line' : `${torn} truncated last line${torn === 1 ? '' : 's'}`)
  const skipped = files.reduce((n, f) => n + Object.values(f.skipped).reduce((a, b) => a + b, 0), 0)
  if (skipped) parts.push(`${count(skipped)} of unknown kinds skipped`)
  return parts.join(' · ')
}

/** What each file held, one sentence per remark, for the banner's tooltip and the problems list. */
export function fileNotes(file: OpenedFile): string[] {
  const notes: string[] = []
  if (file.truncatedLine !== null)
    notes.push(`${file.name}, line ${file.truncatedLine}: the last line was cut off (its recorder stopped mid-write); loaded the ${count(file.events)} events before it`)
  const kinds = Object.entries(file.skipped)
  if (kinds.length) {
    const n = kinds.reduce((a, [, k]) => a + k, 0)
    notes.push(`${file.name}: skipped ${count(n)} event${n === 1 ? '' : 's'} of kinds this Sockscope does not know (${kinds.map(([k, c]) => `${k} ×${c}`).join(', ')}), from a newer Sockscope`)
  }
  if (file.sorted) notes.push(`${file.name}: its events were out of time order in the file; they are shown sorted`)
  if (file.label) notes.push(`${file.name}: another run than the first file's (no overlap in time): its runs and connections are marked ${file.label}`)
  return notes
}

const count = (n: number) => n.toLocaleString('en-US')
