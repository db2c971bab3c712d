import { SockscopeError } from '../errors.ts'

/**
 * A program the code panel shows: a seed's own Python, ported to Python 3 (a real file
 * under programs/python/ that runs as a server), or a model's own TypeScript handler
 * (excerpts of the real files under src/servers/models/, read as they are, so they cannot
 * drift from what runs).
 *
 * `lineMap` says, per program, which line a thread of control is on after each kind of
 * event it reports (see lineKeys in markers.ts): declared, not guessed. A line is named
 * by text that occurs on exactly one line of the program (`at`), so the map survives
 * edits above it; the tests check every entry resolves to one line.
 */
export type ProgramLanguage = 'python' | 'typescript'

/** One file, or the part of it from the line containing `from` to the line containing `to`. */
export interface ProgramPart {
  /** Path under src/servers/ (`programs/python/seed003-fork-server.py`, `models/fork.ts`). */
  file: string
  from?: string
  to?: string
}

export interface LineTarget {
  /** Text on exactly one line of the program. */
  at: string
  /** What the thread of control is executing or blocked in there (`recv()`, `time.sleep(5)`). */
  call: string
}

/**
 * Keys (markers.ts, lineKeys): `block:accept`, `block:recv`, `block:send`, `block:sleep`,
 * `block:lock`, `block:select`, `accept`, `recv`, `send`, `close`, `fork`, `child` (a
 * forked child's first line), `exit` (where a child ends; it stays there as a zombie until
 * reaped), `thread-start`, `thread-end`, `task-start`, `task-end`, `wakeup`, `lock-wait`,
 * `lock-acquire`, `lock-release`, `phase:NAME`, `state:read`, `state:write`, `error`.
 */
export type LineMap = Readonly<Record<string, LineTarget>>

/**
 * How the program's threads of control appear in the events:
 *  - `process`: one thread per process (iterative, fork), or threads (thread, socketserver);
 *  - `loop`: one event loop thread runs every connection (select, reactor);
 *  - `tasks`: an event loop and one task per connection (asyncio).
 */
export type ControlStyle = 'process' | 'loop' | 'tasks'

export interface ProgramDef {
  id: string
  language: ProgramLanguage
  title: string
  /** One line on what it is (for the panel's header and the lessons). */
  summary: string
  /** The Sockscope model that runs like this program (its events are this program's). */
  model: string
  control: ControlStyle
  /** Where the program runs like more than one model (c10k): the style per model. lineMap keys `MODEL/KEY` win over `KEY` for that model's runs. */
  controlByModel?: Readonly<Record<string, ControlStyle>>
  parts: readonly ProgramPart[]
  lineMap: LineMap
}

/** A line of a resolved program: where it comes from in its file. */
export interface ProgramLine {
  text: string
  /** Index into the program's parts. */
  part: number
  /** 1-based line in that part's file. */
  fileLine: number
}

/** A program with its text read: lines numbered 1… across its parts, and lineMap keys as line numbers. */
export interface Program extends ProgramDef {
  source: string
  lines: readonly ProgramLine[]
  /** lineMap key → 1-based program line. */
  lineOf: ReadonlyMap<string, number>
}

/** Reads a part's file text (the renderer: Vite's raw imports; Node: the file system). */
export type ReadProgramFile = (file: string) => string | undefined

function lineContaining(lines: readonly string[], text: string, after: number, what: string): number {
  for (let i = after; i < lines.length; i++) if (lines[i]!.includes(text)) return i
  throw new SockscopeError('BAD_PROGRAM', `${what}: no line contains '${text}'`)
}

/** Reads a program's parts and places its lineMap; a missing file or an anchor that matches no line or two is a coded error. */
export function resolveProgram(def: ProgramDef, read: ReadProgramFile): Program {
  const lines: ProgramLine[] = []
  def.parts.forEach((part, index) => {
    const text = read(part.file)
    if (text === undefined) throw new SockscopeError('BAD_PROGRAM', `${def.id}: cannot read ${part.file}`)
    const fileLines = text.replace(/\n$/, '').split('\n')
    const first = part.from === undefined ? 0 : lineContaining(fileLines, part.from, 0, `${def.id} ${part.file}`)
    const last = part.to === undefined ? fileLines.length - 1 : lineContaining(fileLines, part.to, first, `${def.id} ${part.file}`)
    for (let i = first; i <= last; i++) lines.push({ text: fileLines[i]!, part: index, fileLine: i + 1 })
  })
  const lineOf = new Map<string, number>()
  for (const [key, target] of Object.entries(def.lineMap)) {
    const found = lines.flatMap((l, i) => (l.text.includes(target.at) ? [i + 1] : []))
    if (found.length !== 1)
      throw new SockscopeError('BAD_PROGRAM', `${def.id}: lineMap '${key}' names '${target.at}', which is on ${found.length} lines, not one`)
    lineOf.set(key, found[0]!)
  }
  return { ...def, source: lines.map((l) => l.text).join('\n'), lines, lineOf }
}
