import { classHighlighter, highlightCode } from '@lezer/highlight'
import { parser as jsParser } from '@lezer/javascript'
import { parser as pythonParser } from '@lezer/python'
import type { ProgramLanguage } from '../../servers/programs/program.ts'

/** A run of text and its highlight classes (`tok-keyword`, `tok-string`…; '' for plain). */
export interface Token {
  text: string
  cls: string
}

const tsParser = jsParser.configure({ dialect: 'ts' })

/**
 * Source → tokens per line, from a real parse (Lezer's Python and TypeScript grammars,
 * CodeMirror's): a docstring or template spanning lines is split at each line break, so
 * every line renders on its own row beside its number and its markers.
 * An excerpt that does not parse on its own (a part of a file) still highlights: Lezer
 * recovers from errors and tokenizes the rest.
 */
export function highlightLines(source: string, language: ProgramLanguage): Token[][] {
  const tree = (language === 'python' ? pythonParser : tsParser).parse(source)
  const lines: Token[][] = [[]]
  highlightCode(
    source,
    tree,
    classHighlighter,
    (text, cls) => lines[lines.length - 1]!.push({ text, cls }),
    () => lines.push([]),
  )
  return lines
}
