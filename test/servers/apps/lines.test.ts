import { describe, expect, it } from 'vitest'
import type { AppOp, OpResult } from '../../../src/servers/apps/app.ts'
import { LineReader, type NextLine } from '../../../src/servers/apps/lines.ts'
import { textOf } from '../../../src/servers/apps/text.ts'

/** Run the reader over `pieces` as successive recvs (then EOF): every result, and how many recvs it asked for. */
function readAll(pieces: readonly (string | Uint8Array)[], maxLength = 1024): { results: Array<string | 'eof' | 'too long'>; recvs: number } {
  const reader = new LineReader(maxLength)
  const queue = pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))
  const results: Array<string | 'eof' | 'too long'> = []
  let recvs = 0
  while (true) {
    const lines = reader.next()
    let step = lines.next()
    while (!step.done) {
      expect((step.value as AppOp).op).toBe('recv')
      recvs++
      step = lines.next((queue.shift() ?? new Uint8Array(0)) as OpResult)
    }
    const next: NextLine = step.value
    if ('eof' in next) return { results: [...results, 'eof'], recvs }
    if ('tooLong' in next) return { results: [...results, 'too long'], recvs }
    results.push(next.line.toString('latin1'))
  }
}

describe('LineReader', () => {
  it('finds lines however TCP cut or joined them, and drops the \\r of \\r\\n', () => {
    expect(readAll(['jack:', 'dp\r', '\nji', 'll:wd\na:dp\nb', ':dp\n']).results).toEqual(['jack:dp', 'jill:wd', 'a:dp', 'b:dp', 'eof'])
    // Lines already received are handed out without another recv.
    expect(readAll(['a\nb\nc\n'])).toEqual({ results: ['a', 'b', 'c', 'eof'], recvs: 2 })
  })

  it('keeps bytes as they came, UTF-8 or not', () => {
    const [line] = readAll([Buffer.from([0xff, 0x3a, 0x64, 0x70, 0x0a])]).results
    expect(Buffer.from(line!, 'latin1')).toEqual(Buffer.from([0xff, 0x3a, 0x64, 0x70]))
  })

  it('refuses a line past the limit before its newline comes, and takes one at the limit', () => {
    expect(readAll(['x'.repeat(600), 'x'.repeat(600)], 1000).results).toEqual(['too long'])
    expect(readAll(['x'.repeat(600), `${'x'.repeat(400)}\n`], 1000).results).toEqual(['x'.repeat(1000), 'eof'])
  })
})

describe('textOf', () => {
  it('reads valid UTF-8 as itself and escapes every byte that is not part of it', () => {
    expect(textOf(Buffer.from('Γιάννης'))).toBe('Γιάννης')
    expect(textOf(Buffer.from([0xff, 0x61, 0xc3]))).toBe('\\xffa\\xc3')
    // Overlong forms and encoded surrogates are not UTF-8 either.
    expect(textOf(Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]))).toBe('\\xc0\\xaf\\xed\\xa0\\x80')
  })

  it('never gives two byte strings the same text', () => {
    expect(textOf(Buffer.from('\\xff'))).toBe('\\\\xff')
    expect(new Set([[0xff], [0xfe], [0xef, 0xbf, 0xbd], [0x5c, 0x78, 0x66, 0x66]].map((b) => textOf(Buffer.from(b)))).size).toBe(4)
  })
})
