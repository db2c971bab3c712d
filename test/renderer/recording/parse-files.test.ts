import { openAsBlob, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConnId } from '../../../src/renderer/model/derive.ts'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../src/renderer/model/trace-model.ts'
import type { OpenedFile, WorkerMessage } from '../../../src/renderer/recording/messages.ts'
import { mergeByTime, parseFiles } from '../../../src/renderer/recording/parse-files.ts'
import { recordingSummary } from '../../../src/renderer/recording/summary.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { loadRecording } from '../../../src/servers/export/load.ts'
import { cli, runCli } from '../../helpers/cli.ts'

/**
 * The parse worker's work (parse-files.ts), run in Node as it runs in the worker, on
 * traces the real CLI recorded: a fork server's and its clients', merged by originNs;
 * an unrelated run beside them; bad files named with their line.
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-open-'))
const serverTrace = path.join(tmp, 'fork-server.ndjson')
const clientTrace = path.join(tmp, 'clients.ndjson')
const file = (name: string) => path.join(tmp, name)

beforeAll(async () => {
  const serve = runCli(['serve', '--model', 'fork', '--port', '0', '--delay', '0.2', '--trace', serverTrace])
  const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
  const clients = await cli(['clients', '--port', port!, '--count', '3', '--words', 'Hello world', '--trace', clientTrace])
  expect(clients.code).toBe(0)
  await serve.line(/ exit .*child pid \d+ code 0/)
  const exits = () => serve.stdout.filter((l) => / exit .*child pid \d+ code 0/.test(l)).length
  while (exits() < 3) await new Promise((resolve) => serve.child.stdout!.once('data', resolve))
  serve.child.kill('SIGINT')
  expect((await serve.exited).code).toBe(0)
}, 30_000)
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Opened {
  files: OpenedFile[]
  problems: string[]
  events: SockscopeEvent[]
  /** The store the worker built, as the page adopts it. */
  store: EventStore | null
  progress: number[]
}

async function open(paths: string[]): Promise<Opened> {
  const out: Opened = { files: [], problems: [], events: [], store: null, progress: [] }
  const files = await Promise.all(paths.map(async (p) => ({ name: path.basename(p), blob: await openAsBlob(p) })))
  let done = -1
  await parseFiles(files, (m: WorkerMessage) => {
    if (m.type === 'progress') out.progress.push(m.read / m.total)
    else if (m.type === 'files') Object.assign(out, { files: m.files, problems: m.problems })
    else if (m.type === 'store') {
      // As the page does: the worker's store adopted; its events read back in time order.
      out.store = new EventStore()
      out.store.adopt(m.snapshot)
      for (let i = 0; i < out.store.size; i++) out.events.push(out.store.at(i))
    } else done = m.events
  })
  expect(done).toBe(out.events.length)
  return out
}

const model = (events: SockscopeEvent[]) => {
  const store = new EventStore()
  const m = new TraceModel(store)
  m.ingest(store.append(events))
  return m
}
const conn = (e: SockscopeEvent) => (e as { conn?: string }).conn
const isOs = (e: SockscopeEvent) => e.kind === 'proc' || e.kind === 'sockets'

/** A copy of `from` whose header says its run happened an hour later. */
function later(from: string, name: string): string {
  const [header, ...rest] = readFileSync(from, 'utf8').split('\n')
  const h = JSON.parse(header!)
  h.originNs = String(BigInt(h.originNs) + 3_600_000_000_000n)
  writeFileSync(file(name), [JSON.stringify(h), ...rest].join('\n'))
  return file(name)
}

describe('opening trace files (the parse worker’s work)', () => {
  it('merges a server’s and its clients’ traces on one axis from the earliest originNs, as sockscope export does', async () => {
    const opened = await open([clientTrace, serverTrace])
    expect(opened.problems).toEqual([])
    const [clients, server] = opened.files
    expect([clients!.group, server!.group]).toEqual([0, 0])
    expect([clients!.label, server!.label]).toEqual(['', ''])
    // The server started first: its zero is the recording's, its times stay as in its file.
    expect(server!.offsetUs).toBe(0)
    expect(clients!.offsetUs).toBeGreaterThan(0)
    expect(clients!.zeroNs).toBe(server!.header.originNs)
    expect(opened.events.length).toBe(clients!.events + server!.events)
    const times = opened.events.map((e) => e.t)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(opened.progress.at(-1)).toBe(1)
    // Each connect (client side) before its accept (server side): one time axis.
    const connects = opened.events.filter((e) => e.kind === 'connect')
    expect(connects).toHaveLength(3)
    for (const c of connects) expect(c.t).toBeLessThan(opened.events.find((e) => e.kind === 'accept' && conn(e) === conn(c))!.t)
    // The same times as the CLI's reader gives (it leaves out the OS's samples).
    const cliEvents = (await loadRecording([clientTrace, serverTrace])).events
    expect(opened.events.filter((e) => !isOs(e)).map((e) => e.t)).toEqual(cliEvents.map((e) => e.t))
    const serverFirst = JSON.parse(readFileSync(serverTrace, 'utf8').split('\n')[1]!) as SockscopeEvent
    expect(opened.events.some((e) => e.kind === serverFirst.kind && e.t === serverFirst.t)).toBe(true)
    const m = model(opened.events)
    expect(m.connections()).toHaveLength(3)
    expect(recordingSummary(opened.files)).toBe(`clients.ndjson + fork-server.ndjson · ${opened.events.length.toLocaleString('en-US')} events`)
  })

  it('opens an unrelated run beside them from its own zero, its runs and connections marked so none collide', async () => {
    const copy = later(serverTrace, 'an-hour-later.ndjson')
    const opened = await open([serverTrace, clientTrace, copy])
    expect(opened.files.map((f) => [f.group, f.label])).toEqual([[0, ''], [0, ''], [1, 'B']])
    expect(opened.files[2]!.offsetUs).toBe(0)
    const m = model(opened.events)
    expect(m.servers().map((s) => s.run).sort()).toEqual(['B·s1', 's1'])
    const tracks = m.connections()
    // The same three connection ids in both runs, six tracks: the later run's ids carry its label.
    expect(tracks).toHaveLength(6)
    const later3 = tracks.filter((c) => c.serverRun === 'B·s1')
    expect(later3).toHaveLength(3)
    for (const c of later3) {
      expect(c.conn).toMatch(/^\d+>\d+>B$/)
      const original = tracks.find((o) => o.conn === c.conn.replace(/>B$/, ''))!
      // The lanes still say the client's port, and the connection still belongs to the server's port.
      expect(parseConnId(c.conn)).toEqual(parseConnId(original.conn))
      expect(c.clientPort).toBe(original.clientPort)
      // Side by side from its own zero: the copy's times are the original's.
      expect(c.acceptT).toBeCloseTo(original.acceptT!, 3)
    }
    const forkPids = opened.events.filter((e) => e.kind === 'fork' && e.src.run === 'B·s1')
    expect(forkPids).toHaveLength(3)
    expect(recordingSummary(opened.files)).toContain('2 unrelated runs side by side')
  })

  it('sorts events out of time order; loads what is whole of a torn last line and says so; skips newer kinds and counts them', async () => {
    const [header, ...lines] = readFileSync(serverTrace, 'utf8').trimEnd().split('\n')
    const future = JSON.stringify({ kind: 'teleport', t: 5, src: { role: 'server', run: 's1', pid: 1, tid: 0 } })
    writeFileSync(file('shuffled.ndjson'), [header, future, ...[...lines].reverse(), lines.at(-1)!.slice(0, 30)].join('\n'))
    const opened = await open([file('shuffled.ndjson')])
    expect(opened.problems).toEqual([])
    const [f] = opened.files
    expect(f!.sorted).toBe(true)
    expect(f!.skipped).toEqual({ teleport: 1 })
    expect(f!.truncatedLine).toBe(lines.length + 3)
    expect(f!.events).toBe(lines.length)
    const times = opened.events.map((e) => e.t)
    expect(times).toEqual([...times].sort((a, b) => a - b))
    expect(recordingSummary(opened.files)).toBe(`shuffled.ndjson · ${lines.length.toLocaleString('en-US')} events · truncated last line · 1 of unknown kinds skipped`)
  })

  it('names each bad file and its line; the good files still open', async () => {
    const header = readFileSync(serverTrace, 'utf8').split('\n')[0]!
    writeFileSync(file('garbage.ndjson'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]))
    writeFileSync(file('newer.ndjson'), `${header.replace('"version":2', '"version":4')}\n`)
    const opened = await open([file('garbage.ndjson'), serverTrace, file('newer.ndjson')])
    expect(opened.problems).toEqual([
      'garbage.ndjson, line 1: the first line is not JSON, so this is not a Sockscope trace',
      'newer.ndjson, line 1: the header says it is trace version 4, from a newer Sockscope; this Sockscope reads versions 1, 2 and 3',
    ])
    expect(opened.files.map((f) => f.name)).toEqual(['fork-server.ndjson'])
    const none = await open([file('garbage.ndjson')])
    expect(none.files).toEqual([])
    expect(none.events).toEqual([])
  })
})

describe('mergeByTime', () => {
  const list = (times: number[], offsetUs = 0) => ({ times, order: null, offsetUs })
  /** The merge as (list, position) pairs, batch by batch. */
  const merged = (lists: Parameters<typeof mergeByTime>[0], size: number) =>
    [...mergeByTime(lists, size)].map((b) => {
      const out: string[] = []
      for (let k = 0; k < b.length; k += 3) for (let i = b[k + 1]!; i < b[k + 1]! + b[k + 2]!; i++) out.push(`${'abc'[b[k]!]}${i}`)
      return out
    })

  it('interleaves lists in time order, ties to the earlier list, in batches of at most `size`, each list moved by its offset', () => {
    expect(merged([list([1, 3, 3, 9]), list([2, 3, 10]), list([0, 3])], 3)).toEqual([
      ['c0', 'a0', 'b0'],
      ['a1', 'a2', 'b1'],
      ['c1', 'a3', 'b2'],
    ])
    // The second list sits 10 µs later on the axis.
    expect(merged([list([5, 15]), list([0, 1], 10)], 10)).toEqual([['a0', 'b0', 'b1', 'a1']])
    // A list out of time order is read through its order.
    expect(merged([{ times: [9, 1, 5], order: Uint32Array.from([1, 2, 0]), offsetUs: 0 }], 10)).toEqual([['a0', 'a1', 'a2']])
    expect(merged([list([]), list([1])], 10)).toEqual([['b0']])
    expect(merged([], 10)).toEqual([])
  })
})
