import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { KINDS } from '../../src/renderer/model/event-store.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import { loadRecording } from '../../src/servers/export/load.ts'
import { hasRecords, KNOWN_KINDS, LineSplitter, recordLines, TraceFileReader, type TraceLessonRun, wrongField } from '../../src/servers/trace-lines.ts'

/**
 * trace-lines.ts: the trace reader's rules without Node, as the app's worker uses them.
 * Every refusal is checked against the CLI's reader (export/load.ts) on the same bytes, so
 * the app and `sockscope export` say the same thing about a file.
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-trace-lines-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const HEADER = JSON.stringify({ format: 'sockscope-trace', version: 2, createdAt: '2026-12-01T00:00:00.000Z', originNs: '1000', command: 'serve', ended: 'clean' })
const src = { role: 'server', run: 's1', pid: 7, tid: 0 }
const recv = (t: number, preview = 'Hello'): SockscopeEvent => ({ kind: 'recv', t, src, conn: '51000>50007', bytes: new TextEncoder().encode(preview).length, preview }) as SockscopeEvent
const line = (e: unknown) => JSON.stringify(e)

/** Read bytes with the reader, cut into chunks at the given offsets. */
function read(bytes: Uint8Array, cuts: number[] = [], name = 'f.ndjson'): TraceFileReader {
  const reader = new TraceFileReader(name)
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    reader.push(bytes.subarray(from, cut))
    from = cut
  }
  reader.end()
  return reader
}
const utf8 = (text: string) => new TextEncoder().encode(text)

function refusal(bytes: Uint8Array, name: string): string {
  try {
    read(bytes, [], name)
  } catch (err) {
    expect((err as { code?: string }).code).toBe('TRACE_CORRUPT')
    return (err as Error).message
  }
  throw new Error('not refused')
}

/** What the CLI's reader says about the same bytes, from a file named `name`. */
async function cliRefusal(bytes: Uint8Array, name: string): Promise<string> {
  const at = path.join(tmp, name)
  writeFileSync(at, bytes)
  try {
    await loadRecording([at])
  } catch (err) {
    return (err as Error).message.replace(at, name)
  }
  throw new Error('the CLI read it')
}

describe('LineSplitter', () => {
  it('gives the same lines whatever the chunks, cut inside a CRLF or a multi-byte character', () => {
    const text = `${HEADER}\r\n${line(recv(1, 'καλημέρα'))}\r\n${line(recv(2, '你好 🌍'))}\n${line(recv(3))}`
    const bytes = utf8(text)
    const whole: string[] = []
    const splitter = new LineSplitter('f', (l) => whole.push(l))
    splitter.push(bytes)
    expect(splitter.end()).toBe(4)
    expect(whole).toEqual(text.split(/\r?\n/))
    // Every single cut position, and every byte alone.
    for (let cut = 1; cut < bytes.length; cut++) {
      const got: string[] = []
      const s = new LineSplitter('f', (l) => got.push(l))
      s.push(bytes.subarray(0, cut))
      s.push(bytes.subarray(cut))
      s.end()
      expect(got, `cut at ${cut}`).toEqual(whole)
    }
    const bytewise: string[] = []
    const s = new LineSplitter('f', (l) => bytewise.push(l))
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1))
    s.end()
    expect(bytewise).toEqual(whole)
  })

  it('refuses a line over the limit as soon as that many bytes came, with its number', () => {
    const s = new LineSplitter('f.ndjson', () => {}, { maxLineBytes: 100 })
    s.push(utf8(`${HEADER}\n{"a":1}\n`))
    expect(() => s.push(utf8('x'.repeat(101)))).toThrow('f.ndjson: line 3 is longer than 100 bytes, the longest line a trace may have')
    const first = new LineSplitter('g.ndjson', () => {})
    expect(() => first.push(new Uint8Array(70 * 1024).fill(32))).toThrow('g.ndjson: the first line is longer than 64 KiB')
  })
})

describe('TraceFileReader', () => {
  it('reads a trace in any chunks: CRLF, UTF-8 previews cut mid-character, the same events', () => {
    const events = [recv(1, 'καλημέρα'), recv(2, '你好 🌍'), recv(3)]
    const bytes = utf8([HEADER, ...events.map(line), ''].join('\r\n'))
    const expected = read(bytes).events
    expect(expected).toEqual(events)
    for (let cut = 1; cut < bytes.length; cut += 7) expect(read(bytes, [cut, Math.min(bytes.length, cut + 3)]).events).toEqual(events)
  })

  it('a last line cut off loads what is whole and names that line', () => {
    const bytes = utf8([HEADER, line(recv(1)), line(recv(2)), line(recv(3)).slice(0, 25)].join('\n'))
    const reader = read(bytes)
    expect(reader.events.map((e) => e.t)).toEqual([1, 2])
    expect(reader.truncatedLine).toBe(4)
    // The same torn line with its newline is damage in the middle: refused.
    expect(refusal(utf8([HEADER, line(recv(1)), line(recv(3)).slice(0, 25), ''].join('\n')), 'f.ndjson')).toBe('f.ndjson, line 3: not valid JSON')
  })

  it('skips and counts kinds of a newer writer; notes events out of time order', () => {
    const future = (t: number) => line({ kind: 'teleport', t, src, to: 'mars' })
    const reader = read(utf8([HEADER, line(recv(5)), future(1), line(recv(2)), future(3), ''].join('\n')))
    expect(reader.events.map((e) => e.t)).toEqual([5, 2])
    expect(Object.fromEntries(reader.skipped)).toEqual({ teleport: 2 })
    expect(reader.ordered).toBe(false)
    expect([reader.firstT, reader.lastT]).toEqual([2, 5])
  })

  it('knows exactly the kinds the renderer knows', () => {
    expect([...KNOWN_KINDS].sort()).toEqual([...KINDS].sort())
  })

  it('refuses every bad input with one message naming the file and the line, word for word as sockscope export', async () => {
    const good = [line(recv(1)), line(recv(2))]
    const cases: [string, Uint8Array, RegExp][] = [
      ['text.ndjson', utf8('hello, world\nnot json either\n'), /^text\.ndjson, line 1: the first line is not JSON/],
      ['no-header.ndjson', utf8([...good, ''].join('\n')), /^no-header\.ndjson, line 1: the first line is not a sockscope-trace header$/],
      ['other-format.ndjson', utf8([line({ format: 'chrome-trace', version: 1 }), ...good, ''].join('\n')), /, line 1: the first line is not a sockscope-trace header$/],
      ['newer.ndjson', utf8([HEADER.replace('"version":2', '"version":4'), ...good, ''].join('\n')), /^newer\.ndjson, line 1: the header says it is trace version 4, from a newer Sockscope; this Sockscope reads versions 1, 2 and 3$/],
      ['wrong-type.ndjson', utf8([HEADER, good[0], line({ ...recv(3), bytes: '5' }), ''].join('\n')), /^wrong-type\.ndjson, line 3: a recv event whose field bytes is wrong: Invalid input: expected number, received string$/],
      ['wrong-src.ndjson', utf8([HEADER, line({ ...recv(3), src: { ...src, role: 'alien' } }), ''].join('\n')), /, line 2: a recv event whose field src\.role is wrong: Invalid option: expected one of "server"\|"client"\|"lab"\|"os"$/],
      ['wrong-ready.ndjson', utf8([HEADER, line({ kind: 'wakeup', t: 1, src, readable: ['1>2', 3], writable: [], waitedUs: 1 }), ''].join('\n')), /, line 2: a wakeup event whose field readable\.1 is wrong: Invalid input: expected string, received number$/],
      ['negative.ndjson', utf8([HEADER, line({ ...recv(3), bytes: -1 }), ''].join('\n')), /field bytes is wrong: Too small: expected number to be >=0$/],
      ['not-event.ndjson', utf8([HEADER, line({ kind: 'recv', t: 'soon' }), line(recv(2)), ''].join('\n')), /^not-event\.ndjson, line 2: not an event: Invalid input: expected number, received string$/],
      ['binary.ndjson', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x0a, 0x01, 0x02]), /^binary\.ndjson, line 1: the first line is not JSON/],
      ['binary-body.ndjson', new Uint8Array([...utf8(`${HEADER}\n${good[0]}\n`), 0x00, 0xff, 0x7b, 0x0a, 0xfe, 0x0a]), /^binary-body\.ndjson, line 3: not valid JSON$/],
      ['empty.ndjson', new Uint8Array(0), /^empty\.ndjson, line 1: the file is empty, so it is not a Sockscope trace$/],
      ['bom.ndjson', utf8(`\uFEFF${HEADER}\n`), /^bom\.ndjson, line 1: the first line is not JSON/],
    ]
    for (const [name, bytes, words] of cases) {
      const message = refusal(bytes, name)
      expect(message, name).toMatch(words)
      expect(await cliRefusal(bytes, name), name).toBe(message)
    }
  })

  it('checks fields by hand in zod’s words, at about the cost of JSON.parse alone', () => {
    expect(wrongField(recv(1))).toBeUndefined()
    expect(wrongField({ ...recv(1), t: Number.POSITIVE_INFINITY } as SockscopeEvent)).toBe('a recv event whose field t is wrong: Invalid input: expected number, received Infinity')
    expect(wrongField({ kind: 'exit', t: 1, src, childPid: 1.5, code: null, signal: null } as SockscopeEvent)).toBe('a exit event whose field childPid is wrong: Invalid input: expected int, received number')
    const lines = Array.from({ length: 100_000 }, (_, i) => line(recv(i * 1.37)))
    const bytes = utf8(`${HEADER}\n${lines.join('\n')}\n`)
    const time = (f: () => void) => {
      const started = performance.now()
      f()
      return performance.now() - started
    }
    const readAll = () => {
      const reader = new TraceFileReader('big.ndjson')
      for (let i = 0; i < bytes.length; i += 1 << 20) {
        reader.push(bytes.subarray(i, i + (1 << 20)))
        reader.events = []
      }
      reader.end()
      expect(reader.count).toBe(100_000)
    }
    const parseOnly = () => {
      for (const l of lines) JSON.parse(l)
    }
    // Warm both up, then take the better of three of each: the machine may be busy.
    readAll()
    parseOnly()
    const reader = Math.min(time(readAll), time(readAll), time(readAll))
    const json = Math.min(time(parseOnly), time(parseOnly), time(parseOnly))
    console.log(`trace-lines: 100,000 events (${(bytes.length / 1e6).toFixed(1)} MB) split, parsed and checked in ${reader.toFixed(0)} ms; JSON.parse alone ${json.toFixed(0)} ms`)
    expect(reader / json).toBeLessThan(3.5)
  })
})

describe('note records (version 3)', () => {
  const V3 = HEADER.replace('"version":2', '"version":3')
  const enc = (lines: string[]) => new TextEncoder().encode(lines.join('\n') + '\n')

  it('reads notes beside the events, skips records a newer writer knows, and refuses a note whose fields are wrong', () => {
    const r = read(enc([V3, line({ record: 'note', t: 5, text: 'watch the queue grow' }), line(recv(10)), line({ record: 'chapter', t: 1 })]))
    expect(r.notes).toEqual([{ t: 5, text: 'watch the queue grow' }])
    expect(r.count).toBe(1)
    expect(Object.fromEntries(r.skipped)).toEqual({ 'record:chapter': 1 })
    expect(() => read(enc([V3, line({ record: 'note', t: 'soon', text: 'x' }), line(recv(10))]), [], 'bad.ndjson')).toThrow(
      'bad.ndjson, line 2: a note record whose field t is wrong: Invalid input: expected number, received string',
    )
  })

  it('the CLI reads them too; a version 2 file still opens', async () => {
    const { readTrace } = await import('../../src/servers/trace.ts')
    const file = path.join(tmp, 'noted.ndjson')
    writeFileSync(file, enc([V3, line(recv(10)), line({ record: 'note', t: 5, text: 'here' })]))
    expect(await readTrace(file)).toMatchObject({ header: { version: 3 }, notes: [{ t: 5, text: 'here' }], problems: [] })
    const old = path.join(tmp, 'old.ndjson')
    writeFileSync(old, enc([HEADER, line(recv(10))]))
    expect(await readTrace(old)).toMatchObject({ header: { version: 2 }, notes: [], problems: [] })
  })
})

describe('lesson records (version 3)', () => {
  const V3 = HEADER.replace('"version":2', '"version":3')
  const enc = (lines: string[]) => new TextEncoder().encode(lines.join('\n') + '\n')
  const run: TraceLessonRun = { t: 12, lesson: 'fork-reap', runs: { servers: { forking: 's1' }, clients: { first: 'c2', next: 'c3' } } }

  it('a lesson run written by recordLines is read back as it was, notes first, each kind in time order', () => {
    const text = recordLines({ lessons: [run, { ...run, t: 3, lesson: 'naive-server' }], notes: [{ t: 9, text: 'b' }, { t: 1, text: 'a' }] })
    expect(text.split('\n').slice(0, 4).map((l) => JSON.parse(l).record + ':' + JSON.parse(l).t)).toEqual(['note:1', 'note:9', 'lesson:3', 'lesson:12'])
    const r = read(enc([V3, text.trimEnd(), line(recv(20))]))
    expect(r.lessons).toEqual([{ ...run, t: 3, lesson: 'naive-server' }, run])
    expect(r.notes.map((n) => n.text)).toEqual(['a', 'b'])
    expect(r.count).toBe(1)
    expect(hasRecords({ lessons: [run] })).toBe(true)
    expect(hasRecords({ notes: [], lessons: [] })).toBe(false)
  })

  it('refuses a lesson record whose fields are wrong, with the line, as the CLI does', async () => {
    const bad = (record: unknown) => enc([V3, line(record), line(recv(10))])
    expect(refusal(bad({ ...run, record: 'lesson', lesson: '' }), 'l.ndjson')).toBe('l.ndjson, line 2: a lesson record whose field lesson is wrong: expected a name of 1 to 64 characters')
    expect(refusal(bad({ record: 'lesson', t: 1, lesson: 'x', runs: { servers: [], clients: {} } }), 'l.ndjson')).toMatch(/^l\.ndjson, line 2: a lesson record whose field runs\.servers is wrong/)
    expect(refusal(bad({ record: 'lesson', t: 1, lesson: 'x', runs: { servers: { a: 7 }, clients: {} } }), 'l.ndjson')).toBe('l.ndjson, line 2: a lesson record whose runs.servers.a is not a run id')
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`w${i}`, `c${i}`]))
    expect(refusal(bad({ record: 'lesson', t: 1, lesson: 'x', runs: { servers: {}, clients: many } }), 'l.ndjson')).toBe('l.ndjson, line 2: a lesson record with more than 32 clients')
    expect(refusal(bad({ record: 'lesson', t: 'later', lesson: 'x', runs: { servers: {}, clients: {} } }), 'l.ndjson')).toMatch(/^l\.ndjson, line 2: a lesson record whose field t is wrong/)
    const cli = await cliRefusal(bad({ record: 'lesson', t: 1, lesson: 'x', runs: { servers: { a: 7 }, clients: {} } }), 'l.ndjson')
    expect(cli).toContain('a lesson record whose runs.servers.a is not a run id')
  })
})
