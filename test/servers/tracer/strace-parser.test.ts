import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CallRecord, StraceParser, unquote } from '../../../src/servers/tracer/strace-parser.ts'

/** Traces captured from real runs of docs/examples under `strace -f -ttt -T -yy -s 48` (paths made relative). */
export const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, 'fixtures', `${name}.strace`), 'utf8')

const parseAll = (text: string) => {
  const p = new StraceParser()
  return { records: [...p.push(text), ...p.end()], parser: p }
}

describe('StraceParser', () => {
  it('reads every line of a real trace of each example server', () => {
    for (const name of ['fork', 'fork-signal', 'thread', 'select', 'selectors', 'asyncio', 'twisted', 'iterative']) {
      const text = fixture(name)
      const { records, parser } = parseAll(text)
      const lines = text.split('\n').filter(Boolean).length
      // Each line is one record, but for a resumed call, which completes the record its beginning made.
      expect(records.length, name).toBeGreaterThan(lines * 0.9)
      expect(parser.unparsed, name).toBeLessThanOrEqual(3)
    }
  })

  it('pairs an unfinished call with its resumption by pid, timed from its beginning', () => {
    const { records } = parseAll(fixture('fork'))
    const accepts = records.filter((r): r is CallRecord => r.type === 'call' && r.name === 'accept4' && r.value !== null && r.value > 0)
    expect(accepts.length).toBe(3)
    for (const a of accepts) {
      expect(a.args).toMatch(/^3<TCP:\[127\.0\.0\.1:50131\]>, \{sa_family=AF_INET, sin_port=htons\(\d+\)/)
      expect(a.ret).toMatch(/^\d+<TCP:\[127\.0\.0\.1:50131->127\.0\.0\.1:\d+\]>$/)
      expect(a.durationUs).toBeGreaterThan(0)
    }
    const interrupted = records.filter((r) => r.type === 'call' && r.errno === 'ERESTARTSYS')
    expect(interrupted.length).toBeGreaterThan(0)
  })

  it('gives the same records however the stream is cut into chunks', () => {
    const text = fixture('thread')
    const whole = parseAll(text).records
    const p = new StraceParser()
    const pieces: ReturnType<StraceParser['push']> = []
    for (let i = 0; i < text.length; i += 37) pieces.push(...p.push(text.slice(i, i + 37)))
    pieces.push(...p.end())
    expect(pieces).toEqual(whole)
  })

  it('reads exits, kills and signals', () => {
    const { records } = parseAll(fixture('fork'))
    const exits = records.filter((r) => r.type === 'exit')
    expect(exits.filter((e) => e.type === 'exit' && e.code === 0).length).toBe(3)
    expect(exits.some((e) => e.type === 'exit' && e.signal === 'SIGTERM')).toBe(true)
    expect(records.some((r) => r.type === 'signal' && r.signal === 'SIGCHLD')).toBe(true)
  })

  it('sees a call in progress in a half-written last line', () => {
    const p = new StraceParser()
    expect(p.push('4048  1796190069.697239 pselect6(5, [3<TCP:[127.0.0.1:50144]> 4<TCP:[127.0.0.1:50145]>], NULL, NULL, NULL, NULL')).toEqual([])
    expect(p.partialEntry()).toMatchObject({ type: 'enter', pid: 4048, name: 'pselect6', wallUs: 1796190069697239 })
    const done = p.push(') = 1 (in [3]) <1.494651>\n')
    expect(done).toMatchObject([{ type: 'call', name: 'pselect6', value: 1, ret: '1 (in [3])', durationUs: 1494651, wallUs: 1796190069697239 }])
    expect(p.partialEntry()).toBeNull()
  })

  it('counts what it cannot read, and bounds a line that never ends', () => {
    const p = new StraceParser()
    p.push('not strace at all\n')
    expect(p.unparsed).toBe(1)
    p.push('1 1.0 write(' + 'x'.repeat(300 * 1024))
    expect(p.cut).toBe(1)
    expect(p.push('\n')).toEqual([])
  })

  it("decodes strace's quoted strings", () => {
    expect(Buffer.from(unquote('Echo=>hi\\r\\n\\0\\33[1m\\x7f\\"')).toString('latin1')).toBe('Echo=>hi\r\n\0\x1b[1m\x7f"')
  })
})
