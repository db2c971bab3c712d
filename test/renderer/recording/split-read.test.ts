import { describe, expect, it } from 'vitest'
import { generateTrace, traceHeader } from '../../../bench/trace-generator.ts'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import type { WorkerMessage } from '../../../src/renderer/recording/messages.ts'
import { parseFiles } from '../../../src/renderer/recording/parse-files.ts'
import { joinParts, type PartRead, probeFrom, SPLIT_PROBE_BYTES, splitParts } from '../../../src/renderer/recording/split-read.ts'
import type { FilePart } from '../../../src/renderer/recording/messages.ts'

/**
 * A file read by two parse workers, a part each (split-read.ts), against the same file read
 * whole by one: the same events in the same order and the same account of the file, or,
 * where the parts cannot say what the whole would, a read of the whole again, so that a
 * bad file's every message stays the one it was.
 */

/** What parseFiles posts for `blob` (or its part), as the page collects it. */
async function read(blob: Blob, part?: FilePart): Promise<PartRead> {
  const out: PartRead = { files: [], problems: [], readMs: 0, snapshot: null }
  await parseFiles(
    [{ name: 'trace.ndjson', blob }],
    (m: WorkerMessage) => {
      if (m.type === 'files') Object.assign(out, { files: m.files, problems: m.problems })
      else if (m.type === 'store') out.snapshot = m.snapshot
    },
    {},
    part,
  )
  return out
}

/** The two parts' reads joined, as the page joins them. */
async function readInTwo(blob: Blob) {
  const probe = new Uint8Array(await blob.slice(probeFrom(blob.size), probeFrom(blob.size) + SPLIT_PROBE_BYTES).arrayBuffer())
  const parts = splitParts(blob.size, probe)!
  expect(parts).not.toBeNull()
  return joinParts(await read(blob, parts[0]), await read(blob, parts[1]), blob.size)
}

const eventsOf = (snapshot: PartRead['snapshot']) => {
  const store = new EventStore()
  store.adopt(snapshot!)
  return Array.from({ length: store.size }, (_, i) => store.at(i))
}

const lines = () => [...generateTrace({ events: 4000, connections: 40, seed: 3 })].map((e) => JSON.stringify(e))
const file = (body: readonly string[], end = '\n') => new Blob([`${traceHeader()}\n${body.join('\n')}${end}`])

/** The same file, read whole and in two parts: equal, whichever way the parts came out. */
async function expectSameAsWhole(blob: Blob) {
  const whole = await read(blob)
  const joined = await readInTwo(blob)
  expect(joined.kind).toBe('joined')
  if (joined.kind !== 'joined') return
  expect(joined.file).toEqual(whole.files[0])
  expect(eventsOf(joined.snapshot)).toEqual(eventsOf(whole.snapshot))
  expect(joined.events).toBe(whole.snapshot!.size)
  return joined
}

describe('reading a large trace in two parts at once', () => {
  it('cuts at the line end nearest past the middle; a probe with none gives no parts', () => {
    expect(splitParts(10, new TextEncoder().encode('ab\ncd'))).toEqual([
      { from: 0, to: 7 },
      { from: 7, to: 10 },
    ])
    // A line that ends just before the middle starts the second part at the middle.
    expect(splitParts(10, new TextEncoder().encode('\nabc'))).toEqual([
      { from: 0, to: 5 },
      { from: 5, to: 10 },
    ])
    expect(splitParts(10, new TextEncoder().encode('abcdef'))).toBeNull()
  })

  it('gives the events and the account of the file that one reader of the whole gives', async () => {
    await expectSameAsWhole(file(lines()))
  })

  it('in time order as the whole would be when the file is not (across the cut too), and says it was sorted', async () => {
    const body = lines()
    const mid = body.length / 2
    // An event late in the first part is moved into the second's start, and one of the second's into the first.
    ;[body[mid - 3], body[mid + 3]] = [body[mid + 3]!, body[mid - 3]!]
    const joined = await expectSameAsWhole(file(body))
    expect(joined?.file.sorted).toBe(true)
  })

  it('sums what each part skipped (newer kinds, empty lines within the limit) as the whole counts them', async () => {
    const body = lines()
    body.splice(100, 0, '{"kind":"future-kind","t":1,"src":{"role":"server","run":"s1","pid":1,"tid":0}}', '')
    body.splice(body.length - 100, 0, '{"kind":"future-kind","t":2,"src":{"role":"server","run":"s1","pid":1,"tid":0}}', '  ')
    const joined = await expectSameAsWhole(file(body))
    expect(joined?.file.skipped).toEqual({ 'future-kind': 2 })
  })

  it("keeps the records of both parts: each part's notes and lesson runs, as the whole reads them", async () => {
    const body = lines()
    const lesson = (t: number, name: string) => JSON.stringify({ record: 'lesson', t, lesson: name, runs: { servers: { naive: 's1' }, clients: { clients: 'c2' } } })
    body.splice(10, 0, JSON.stringify({ record: 'note', t: 5, text: 'early' }), lesson(1, 'naive-server'))
    body.splice(body.length - 10, 0, JSON.stringify({ record: 'note', t: 9e9, text: 'late' }), lesson(2, 'fork-reap'))
    const joined = await expectSameAsWhole(file(body))
    expect(joined?.file.notes.map((n) => n.text)).toEqual(['early', 'late'])
    expect(joined?.file.lessons.map((l) => l.lesson)).toEqual(['naive-server', 'fork-reap'])
  })

  it('reads the whole again where the parts cannot say what it would: a bad line, a torn last line, too many empty lines in all', async () => {
    const body = lines()
    const bad = [...body]
    bad[bad.length - 10] = '{"kind":"recv",'
    expect(await readInTwo(file(bad))).toEqual({ kind: 'whole' })
    expect(await readInTwo(file([...body, '{"kind":"recv","t":9'], ''))).toEqual({ kind: 'whole' })
    const empties = [...body]
    for (let k = 0; k < 60; k++) empties.splice(10, 0, '')
    for (let k = 0; k < 60; k++) empties.splice(empties.length - 10, 0, '')
    expect(await readInTwo(file(empties))).toEqual({ kind: 'whole' })
  })

  it('a bad line in the first part fails the file with the message a whole read gives (its line number is the file’s)', async () => {
    const body = lines()
    body[40] = 'not json'
    const whole = await read(file(body))
    expect(whole.problems).toHaveLength(1)
    expect(await readInTwo(file(body))).toMatchObject({ kind: 'failed', problems: whole.problems })
  })
})
