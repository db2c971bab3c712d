import { execFile } from 'node:child_process'
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import { readTrace, streamTrace, TRACE_MAX_BAD_LINES, TRACE_MAX_LINE_BYTES, TraceWriter } from '../../src/servers/trace.ts'

/**
 * Trace files: what the writer records (a fixed-width header that says how the run ended)
 * and what the reader refuses. The reader's probes run in a process of their own
 * (test/fixtures/trace/read-in-child.ts), so that their time and peak memory are the
 * reader's alone; each is bounded by the reader's limits, never by the size of the file.
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-trace-'))
const fixture = path.join(import.meta.dirname, '../fixtures/trace/read-in-child.ts')
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const header = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ format: 'sockscope-trace', version: 1, originNs: '1', createdAt: '2026-12-01T00:00:00.000Z', command: 'serve', ...fields })
const event = (t: number): SockscopeEvent => ({ kind: 'close', t, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, conn: '1>2', by: 'peer' }) as SockscopeEvent

function file(name: string, lines: string[]): string {
  const at = path.join(tmp, name)
  writeFileSync(at, lines.join('\n') + '\n')
  return at
}

interface ChildRead {
  ms: number
  maxRssMB: number
  outcome: { ok: true; events: number; problems: number } | { ok: false; code?: string; message: string }
}

async function readInChild(at: string, options?: object): Promise<ChildRead> {
  const args = [fixture, at, ...(options ? [JSON.stringify(options)] : [])]
  const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { timeout: 60_000 })
  return JSON.parse(stdout)
}

describe('trace writer', () => {
  it('writes a version 2 header of fixed width with ended: null, and rewrites it in place with ended: clean at close', async () => {
    const at = path.join(tmp, 'written.ndjson')
    const writer = await TraceWriter.open(at, { originNs: '42', command: 'serve' })
    const opened = readFileSync(at, 'utf8')
    expect(JSON.parse(opened.split('\n')[0]!)).toMatchObject({ format: 'sockscope-trace', version: 2, originNs: '42', command: 'serve', ended: null })
    writer.write([event(3), event(1)])
    writer.write([event(2)])
    await writer.close()
    await writer.close()
    const text = readFileSync(at, 'utf8')
    const [first, ...rest] = text.split('\n')
    // The same width before and after: the rewrite overwrote the header and nothing else.
    expect(Buffer.byteLength(first!)).toBe(Buffer.byteLength(opened.split('\n')[0]!))
    expect(JSON.parse(first!)).toMatchObject({ version: 2, ended: 'clean' })
    expect(rest.filter(Boolean)).toHaveLength(3)
    const trace = await readTrace(at)
    expect(trace.header.ended).toBe('clean')
    expect(trace.events.map((e) => e.t)).toEqual([1, 2, 3])
    expect(writer.count).toBe(3)
  })

  it('a write that fails is reported once, fails close(), and the header says write-failed', async () => {
    const writer = await TraceWriter.open(path.join(tmp, 'small.ndjson'), { originNs: '1', command: 'clients' }, { maxPendingBytes: 1000 })
    const failures: string[] = []
    writer.onFailure((err) => failures.push(`${err.code}: ${err.message}`))
    // More than the writer may hold for a disk that is not keeping up, in one go.
    writer.write(Array.from({ length: 20 }, (_, i) => event(i)))
    writer.write([event(99)])
    expect(failures).toEqual([expect.stringMatching(/^TRACE_WRITE_FAILED: cannot write the trace .*small\.ndjson: the disk is not keeping up/)])
    await expect(writer.close()).rejects.toMatchObject({ code: 'TRACE_WRITE_FAILED' })
    expect((await readTrace(path.join(tmp, 'small.ndjson'))).header.ended).toBe('write-failed')
  })

  it('/dev/full fails at open with the reason and what to do', async () => {
    await expect(TraceWriter.open('/dev/full', { originNs: '1', command: 'serve' })).rejects.toMatchObject({
      code: 'TRACE_WRITE_FAILED',
      message: 'cannot write the trace /dev/full: no space left on device (ENOSPC); free some space or write it to another file',
    })
  })
})

describe('trace reader', () => {
  it('reads version 1 files, which did not record how the run ended', async () => {
    const trace = await readTrace(file('v1.ndjson', [header(), JSON.stringify(event(5))]))
    expect(trace.header).toMatchObject({ version: 1, command: 'serve' })
    expect(trace.header.ended).toBeUndefined()
    expect(trace.events).toHaveLength(1)
  })

  it('reads a version 2 file that was never closed as ended: null (killed or crashed)', async () => {
    const trace = await readTrace(file('unclosed.ndjson', [header({ version: 2, ended: null }).padEnd(300), JSON.stringify(event(5))]))
    expect(trace.header.ended).toBeNull()
  })

  it('streams: the header first, then events in file order, chunk by chunk; a reader may stop early', async () => {
    const at = file('stream.ndjson', [header(), ...Array.from({ length: 50_000 }, (_, i) => JSON.stringify(event(i)))])
    const records = []
    for await (const record of streamTrace(at)) records.push(record)
    expect(records[0]).toEqual({ header: expect.objectContaining({ version: 1 }) })
    const batches = records.slice(1) as { events: SockscopeEvent[] }[]
    // About 5 MB of events arrives in several batches, not as one array at the end.
    expect(batches.length).toBeGreaterThan(1)
    expect(batches.flatMap((b) => b.events).map((e) => e.t)).toEqual(Array.from({ length: 50_000 }, (_, i) => i))
    for await (const record of streamTrace(at)) if ('header' in record) break
  })

  it('accepts CRLF line ends and a last line without its newline', async () => {
    const at = path.join(tmp, 'crlf.ndjson')
    writeFileSync(at, `${header()}\r\n${JSON.stringify(event(1))}\r\n${JSON.stringify(event(2))}`)
    const trace = await readTrace(at)
    expect(trace.events.map((e) => e.t)).toEqual([1, 2])
    expect(trace.problems).toEqual([])
  })

  it('refuses versions it does not know, at once', async () => {
    const cases: [unknown, string][] = [
      [-7, 'is trace version -7; this Sockscope reads versions 1, 2 and 3'],
      [0, 'is trace version 0; this Sockscope reads versions 1, 2 and 3'],
      [1.5, 'is trace version 1.5; this Sockscope reads versions 1, 2 and 3'],
      ['2', 'is trace version "2"; this Sockscope reads versions 1, 2 and 3'],
      [4, 'is trace version 4, from a newer Sockscope; this Sockscope reads versions 1, 2 and 3'],
    ]
    for (const [version, words] of cases) {
      const at = file('version.ndjson', [header({ version }), JSON.stringify(event(1))])
      await expect(readTrace(at), String(version)).rejects.toMatchObject({ code: 'TRACE_CORRUPT', message: `${at} ${words}` })
    }
    // Version 2 without its `ended` is not a version 2 header.
    await expect(readTrace(file('v2-no-ended.ndjson', [header({ version: 2 })]))).rejects.toMatchObject({ code: 'TRACE_CORRUPT', message: expect.stringContaining('is not a sockscope-trace header') })
  })

  it('refuses a bad header at once: empty, not JSON, not a header, a first line too long to be one', async () => {
    writeFileSync(path.join(tmp, 'empty.ndjson'), '')
    await expect(readTrace(path.join(tmp, 'empty.ndjson'))).rejects.toMatchObject({ code: 'TRACE_CORRUPT', message: expect.stringContaining('is empty') })
    await expect(readTrace(file('hello.ndjson', ['hello']))).rejects.toMatchObject({ code: 'TRACE_CORRUPT', message: expect.stringContaining('the first line is not JSON') })
    await expect(readTrace(file('event-first.ndjson', [JSON.stringify(event(1))]))).rejects.toMatchObject({ message: expect.stringContaining('is not a sockscope-trace header') })
    await expect(readTrace(file('long-first.ndjson', ['x'.repeat(100_000)]))).rejects.toMatchObject({ message: expect.stringContaining('the first line is longer than 64 KiB') })
  })

  it('keeps reading past a few bad lines, and refuses a file with more than maxBadLines of them', async () => {
    const lines = [header(), JSON.stringify(event(1)), 'garbage', '{"kind":"recv"}', '', JSON.stringify(event(2))]
    const few = await readTrace(file('few-bad.ndjson', lines), { maxBadLines: 3 })
    expect(few.events).toHaveLength(2)
    expect(few.problems).toEqual([
      { line: 3, message: 'not valid JSON' },
      { line: 4, message: expect.stringMatching(/^not an event: /) },
      { line: 5, message: 'an empty line' },
    ])
    await expect(readTrace(file('more-bad.ndjson', [...lines, 'x']), { maxBadLines: 3 })).rejects.toMatchObject({
      code: 'TRACE_CORRUPT',
      message: expect.stringMatching(/more-bad\.ndjson: more than 3 lines are not events \(the first, line 3: not valid JSON\), so this is not a Sockscope trace/),
    })
  })

  it('refuses a line longer than maxLineBytes with its line number', async () => {
    const at = file('long-line.ndjson', [header(), JSON.stringify(event(1)), JSON.stringify(event(2)), 'y'.repeat(5000), JSON.stringify(event(3))])
    await expect(readTrace(at, { maxLineBytes: 4096 })).rejects.toMatchObject({
      code: 'TRACE_CORRUPT',
      message: `${at}: line 4 is longer than 4 KiB, the longest line a trace may have: the file is damaged, or not a Sockscope trace`,
    })
    expect((await readTrace(at, { maxLineBytes: 8192, maxBadLines: 1 })).events).toHaveLength(3)
  })
})

describe('trace reader probes: bad files refused in bounded time and memory', () => {
  /** What reading a small good trace costs a process: the baseline for peak memory. */
  let baseline: ChildRead
  const figures: string[] = []
  beforeAll(async () => {
    baseline = await readInChild(file('good.ndjson', [header(), ...Array.from({ length: 1000 }, (_, i) => JSON.stringify(event(i)))]))
    expect(baseline.outcome).toMatchObject({ ok: true, events: 1000 })
    figures.push(`baseline: 1000-event trace read in ${baseline.ms.toFixed(0)} ms, peak RSS ${baseline.maxRssMB.toFixed(0)} MB`)
  })
  afterAll(() => console.log(`trace reader probes:\n  ${figures.join('\n  ')}`))

  /**
   * A refusal may hold at most one line at the limit in memory, with the chunk it is read in
   * and the copy that joins it: 3× the line limit over the baseline is the bound, plus what
   * two runs of the same process differ by in peak RSS (80 to 83 MB here: 8 MB is its
   * margin), so that a 64 KiB limit is not held to less than the noise. Reading the 600 MB
   * line would still be over 70 times the bound. The time bound is 1 s (the reader stops at the limit,
   * whatever follows); 1.5 s is its margin on a busy two-core machine.
   */
  const RSS_NOISE_MB = 8
  function expectBounded(read: ChildRead, lineLimit: number) {
    expect(read.maxRssMB - baseline.maxRssMB).toBeLessThan((3 * lineLimit) / 1024 / 1024 + RSS_NOISE_MB)
    expect(read.ms).toBeLessThan(1500)
  }

  it('a 600 MB line after the header is TRACE_CORRUPT at line 2, not a RangeError', async () => {
    const at = path.join(tmp, 'line-600mb.ndjson')
    const fd = openSync(at, 'w')
    const head = `${header()}\n`
    writeSync(fd, head)
    // Sparse: 600 MB of NUL bytes without a newline, and no disk spent on them.
    ftruncateSync(fd, head.length + 600 * 1024 * 1024)
    closeSync(fd)
    const read = await readInChild(at)
    figures.push(`600 MB line: ${JSON.stringify(read.outcome)}, ${read.ms.toFixed(0)} ms, peak RSS ${read.maxRssMB.toFixed(0)} MB`)
    expect(read.outcome).toEqual({ ok: false, code: 'TRACE_CORRUPT', message: `${at}: line 2 is longer than 16 MiB, the longest line a trace may have: the file is damaged, or not a Sockscope trace` })
    expectBounded(read, TRACE_MAX_LINE_BYTES)
    rmSync(at)
  })

  it('a 600 MB first line is refused as no header after 64 KiB', async () => {
    const at = path.join(tmp, 'first-600mb.ndjson')
    const fd = openSync(at, 'w')
    ftruncateSync(fd, 600 * 1024 * 1024)
    closeSync(fd)
    const read = await readInChild(at)
    figures.push(`600 MB first line: ${read.ms.toFixed(0)} ms, peak RSS ${read.maxRssMB.toFixed(0)} MB`)
    expect(read.outcome).toMatchObject({ ok: false, code: 'TRACE_CORRUPT', message: expect.stringContaining('the first line is longer than 64 KiB') })
    expectBounded(read, 64 * 1024)
    rmSync(at)
  })

  it('a header and 20M garbage lines are refused after maxBadLines of them, without reading the rest', async () => {
    const at = path.join(tmp, 'garbage-20m.ndjson')
    const fd = openSync(at, 'w')
    writeSync(fd, `${header()}\n`)
    const block = Buffer.from('x\n'.repeat(1_000_000))
    for (let i = 0; i < 20; i++) writeSync(fd, block)
    closeSync(fd)
    const read = await readInChild(at)
    figures.push(`header + 20M garbage lines: ${read.outcome.ok ? 'read' : read.outcome.message.replace(at, 'FILE')}, ${read.ms.toFixed(0)} ms, peak RSS ${read.maxRssMB.toFixed(0)} MB`)
    expect(read.outcome).toMatchObject({ ok: false, code: 'TRACE_CORRUPT', message: expect.stringContaining(`more than ${TRACE_MAX_BAD_LINES} lines are not events (the first, line 2: not valid JSON)`) })
    // What one chunk of reading costs: these lines are short.
    expectBounded(read, 1024 * 1024)
    rmSync(at)
  })

  it('a real line just over 16 MiB is refused at its line number', async () => {
    const at = path.join(tmp, 'line-17mb.ndjson')
    writeFileSync(at, `${header()}\n${JSON.stringify(event(1))}\n${JSON.stringify({ ...event(2), preview: 'z'.repeat(17 * 1024 * 1024) })}\n`)
    const read = await readInChild(at)
    figures.push(`17 MiB line: ${read.ms.toFixed(0)} ms, peak RSS ${read.maxRssMB.toFixed(0)} MB`)
    expect(read.outcome).toMatchObject({ ok: false, code: 'TRACE_CORRUPT', message: expect.stringContaining('line 3 is longer than 16 MiB') })
    expectBounded(read, TRACE_MAX_LINE_BYTES)
    rmSync(at)
  })
})
