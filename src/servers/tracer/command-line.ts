import { SockscopeError } from '../errors.ts'

/** The longest command line the app's Trace form takes. */
export const MAX_COMMAND_LINE = 4096

/**
 * A command line as a person types it (`python3 "my server.py" --port 50007`) into the
 * program and its arguments, as a POSIX shell splits words: spaces separate, single quotes
 * keep everything, double quotes keep all but `\"` and `\\`, a backslash escapes the next
 * character. Nothing is expanded (no variables, globs, pipes): the words are run as they are.
 */
export function splitCommandLine(text: string): string[] {
  if (text.length > MAX_COMMAND_LINE) throw new SockscopeError('BAD_OPTION', `the command line is longer than ${MAX_COMMAND_LINE} characters`)
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) throw new SockscopeError('BAD_OPTION', 'the command line has a single quote that is not closed')
      word += text.slice(i + 1, end)
      inWord = true
      i = end
    } else if (c === '"') {
      let j = i + 1
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) j++
        word += text[j]
      }
      if (j >= text.length) throw new SockscopeError('BAD_OPTION', 'the command line has a double quote that is not closed')
      inWord = true
      i = j
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  if (words.length === 0) throw new SockscopeError('BAD_OPTION', 'give the command line of the program to trace, as in: python3 docs/examples/fork-server.py --port 50007')
  return words
}
