import type { CodeMarker } from '../../servers/programs/markers.ts'
import type { Program } from '../../servers/programs/program.ts'
import { type Palette, phaseColor } from '../timeline/palette.ts'
import { highlightLines, type Token } from './highlight.ts'

/** One row of the panel: a file's header (a TypeScript program's excerpts), or a line of code with its markers. */
export type CodeRow =
  | { type: 'file'; key: string; file: string; fromLine: number }
  | { type: 'line'; key: string; line: number; fileLine: number; indent: number; tokens: Token[]; markers: CodeMarker[]; groups: MarkerGroup[] }

/** Markers on one line in the same state and call (three children asleep in time.sleep(5)): shown as one chip. */
export interface MarkerGroup {
  key: string
  state: CodeMarker['state']
  call: string
  markers: CodeMarker[]
}

export function groupMarkers(markers: readonly CodeMarker[]): MarkerGroup[] {
  const groups = new Map<string, MarkerGroup>()
  for (const m of markers) {
    const key = `${m.state}|${m.on ?? ''}|${m.call}`
    const g = groups.get(key)
    if (g) g.markers.push(m)
    else groups.set(key, { key, state: m.state, call: m.call, markers: [m] })
  }
  return [...groups.values()]
}

/** The rows of a program, with each marker on its line (markers with no line are the caller's to list apart). */
export function codeRows(program: Program, tokens: readonly Token[][], markers: readonly CodeMarker[]): CodeRow[] {
  const byLine = new Map<number, CodeMarker[]>()
  for (const m of markers) if (m.line !== null) (byLine.get(m.line) ?? byLine.set(m.line, []).get(m.line)!).push(m)
  const rows: CodeRow[] = []
  let part = -1
  program.lines.forEach((l, i) => {
    if (program.parts.length > 1 && l.part !== part) {
      part = l.part
      rows.push({ type: 'file', key: `file:${i}`, file: `src/servers/${program.parts[part]!.file}`, fromLine: l.fileLine })
    }
    const marked = byLine.get(i + 1) ?? []
    const indent = l.text.length - l.text.trimStart().length
    rows.push({ type: 'line', key: `line:${i}`, line: i + 1, fileLine: l.fileLine, indent, tokens: tokens[i] ?? [{ text: l.text, cls: '' }], markers: marked, groups: groupMarkers(marked) })
  })
  return rows
}

/** Tokens per line, parsed once per program. */
const tokenCache = new WeakMap<Program, Token[][]>()
export function programTokens(program: Program): Token[][] {
  let tokens = tokenCache.get(program)
  if (!tokens) tokenCache.set(program, (tokens = highlightLines(program.source, program.language)))
  return tokens
}

/** The marker's colour: its lane's at that instant (running, blocked on what, zombie), from the timeline's palette. */
export function markerColor(palette: Palette, m: CodeMarker): string {
  if (m.state === 'zombie') return phaseColor(palette, { kind: 'zombie' })
  if (m.state === 'blocked') return phaseColor(palette, { kind: 'blocked', on: m.on ?? undefined })
  return phaseColor(palette, { kind: 'working' })
}
