import { spawnSync } from 'node:child_process'
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { toCsv } from '../../../src/servers/export/csv.ts'
import { loadRecording } from '../../../src/servers/export/load.ts'
import { buildModel } from '../../../src/servers/export/model.ts'
import { type TraceEventJson, toPerfetto } from '../../../src/servers/export/perfetto.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { cli, runCli } from '../../helpers/cli.ts'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-export-'))
const serverTrace = path.join(tmp, 'server.ndjson')
const clientTrace = path.join(tmp, 'clients.ndjson')
const file = (name: string) => path.join(tmp, name)
const WORDS = ['Hello', 'network', 'world']
const WIRE_BYTES = WORDS.join('').length

let server: SockscopeEvent[]
let client: SockscopeEvent[]

/** A real fork run: 3 clients, each child sleeps 0.3 s, exits, and stays a zombie until the server's exit reaps it. */
beforeAll(async () => {
  const serve = runCli(['serve', '--model', 'fork', '--port', '0', '--delay', '0.3', '--trace', serverTrace])
  const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
  const clients = await cli(['clients', '--port', port!, '--count', '3', '--words', WORDS.join(' '), '--trace', clientTrace])
  expect(clients.code).toBe(0)
  // Every child has exited (the server saw it) before Ctrl-C reaps them.
  const exits = () => serve.stdout.filter((l) => / exit .*child pid \d+ code 0/.test(l)).length
  for (let i = 0; i < 100 && exits() < 3; i++) await new Promise((r) => setTimeout(r, 50))
  expect(exits()).toBe(3)
  serve.child.kill('SIGINT')
  expect((await serve.exited).code).toBe(0)
  server = (await readTrace(serverTrace)).events
  client = (await readTrace(clientTrace)).events
}, 30_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const events = (trace: { traceEvents: TraceEventJson[] }, ph: TraceEventJson['ph']) => trace.traceEvents.filter((e) => e.ph === ph)
const meta = (trace: { traceEvents: TraceEventJson[] }, name: string) => events(trace, 'M').filter((e) => e.name === name)

describe('sockscope export', () => {
  it('--format perfetto: processes, connection tracks with the derived phases, recv/send instants, zombies and flows', async () => {
    const out = file('run.json')
    const run = await cli(['export', serverTrace, clientTrace, '--format', 'perfetto', '-o', out])
    expect(run.stderr).toEqual([])
    expect(run.code).toBe(0)
    expect(run.stdout.at(-1)).toMatch(/^exported \d+ events of 2 files \(3 connections, 5 processes(, \d+ OS samples left out)?\) to .*run\.json: \d+ trace events$/)
    const trace = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: TraceEventJson[]; displayTimeUnit: string }
    expect(trace.displayTimeUnit).toBe('ms')

    // One named process per real pid: the server host, its 3 children, the client driver.
    const listen = server.find((e) => e.kind === 'listen')!
    const forks = server.filter((e) => e.kind === 'fork')
    const clientPid = client.find((e) => e.kind === 'connect')!.src.pid
    const names = new Map(meta(trace, 'process_name').map((e) => [e.pid, e.args!.name as string]))
    expect(meta(trace, 'process_name')).toHaveLength(5)
    expect(names.get(listen.src.pid)).toBe('server s1 · fork · echo')
    expect(names.get(clientPid)).toBe('clients c1 · 3 connections')
    expect(forks).toHaveLength(3)
    for (const fork of forks) expect(names.get(fork.childPid)).toMatch(new RegExp(`^child ${fork.childPid} for #[123]$`))

    // Every slice, instant and flow is on a named thread of a named process; times sorted, never negative.
    const threads = new Map(meta(trace, 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args!.name as string]))
    const timed = trace.traceEvents.filter((e) => e.ph !== 'M')
    for (const e of timed) {
      expect(names.has(e.pid)).toBe(true)
      expect(threads.has(`${e.pid}:${e.tid}`)).toBe(true)
      expect(e.ts).toBeGreaterThanOrEqual(0)
    }
    expect(timed.map((e) => e.ts)).toEqual(timed.map((e) => e.ts).sort((a, b) => a! - b!))
    // A track's slices nest (Perfetto drops the ones that do not): each begins after the one before ends.
    const byTrack = Map.groupBy(events(trace, 'X'), (e) => `${e.pid}:${e.tid}`)
    for (const slices of byTrack.values()) for (let i = 1; i < slices.length; i++) expect(slices[i]!.ts!).toBeGreaterThanOrEqual(slices[i - 1]!.ts! + slices[i - 1]!.dur! - 0.002)

    // One time axis: the client's file is rebased by the difference of the two origins, so each connect comes before its accept.
    const origin = async (f: string) => BigInt((await readTrace(f)).header.originNs)
    const offset = Number((await origin(clientTrace)) - (await origin(serverTrace))) / 1000
    for (const connect of client.filter((e) => e.kind === 'connect')) {
      const instant = events(trace, 'i').find((e) => e.name === 'connect' && e.args!.conn === (connect as { conn: string }).conn)!
      expect(instant.ts).toBeCloseTo(connect.t + offset, 2)
      const accept = server.find((e) => e.kind === 'accept' && e.conn === (connect as { conn: string }).conn)!
      expect(instant.ts!).toBeLessThan(accept.t)
    }

    // One track per connection under the server's process, named as its lane, with the phases derive.ts gives, in order.
    const model = buildModel(await loadRecording([serverTrace, clientTrace]))
    expect(model.connections).toHaveLength(3)
    for (const c of model.connections) {
      const title = `#${model.connIndex.get(c.key)} :${c.clientPort}`
      const tracks = [...threads].filter(([key, name]) => name === title && key.startsWith(`${listen.src.pid}:`))
      expect(tracks).toHaveLength(1)
      const tid = Number(tracks[0]![0].split(':')[1])
      const slices = events(trace, 'X').filter((e) => e.pid === listen.src.pid && e.tid === tid)
      expect(slices.map((s) => s.args!.phase)).toEqual(c.phases.map((p) => p.kind))
      slices.forEach((s, i) => expect(s.ts).toBeCloseTo(c.phases[i]!.start, 2))
      for (let i = 1; i < slices.length; i++) expect(slices[i]!.ts!).toBeGreaterThanOrEqual(slices[i - 1]!.ts! + slices[i - 1]!.dur! - 0.002)
      // A fork connection: in the queue, starting (the fork), the child's sleep, then recv and work, up to the close.
      const kinds = c.phases.map((p) => (p.kind === 'blocked' ? `blocked ${p.on}` : p.kind))
      expect(kinds.slice(0, 3)).toEqual(['queued', 'spawn', 'blocked sleep'])
      expect(kinds).toContain('blocked recv')
      expect(kinds.at(-1)).toBe('working')
      expect(slices.map((s) => s.name).slice(0, 3)).toEqual(['accept queue', 'starting', 'sleep'])

      // recv / send instants: the bytes on the wire, each way (the echo app echoes all it reads).
      const instants = events(trace, 'i').filter((e) => e.args!.conn === c.key)
      const sum = (kind: string, side: string) => instants.filter((e) => e.name === kind && e.cat === side).reduce((n, e) => n + (e.args!.bytes as number), 0)
      const raw = (list: SockscopeEvent[], kind: string) => list.filter((e) => e.kind === kind && (e as { conn?: string }).conn === c.key).reduce((n, e) => n + (e as { bytes: number }).bytes, 0)
      expect(sum('send', 'client')).toBe(WIRE_BYTES)
      expect(sum('recv', 'server')).toBe(WIRE_BYTES)
      expect(sum('send', 'server')).toBe(WIRE_BYTES)
      expect(sum('recv', 'client')).toBe(WIRE_BYTES)
      expect(sum('send', 'client')).toBe(raw(client, 'send'))
      expect(sum('recv', 'server')).toBe(raw(server, 'recv'))
      for (const e of instants.filter((i) => i.name === 'recv' || i.name === 'send')) {
        expect(e.s).toBe('t')
        expect(WORDS).toContain(e.args!.preview)
      }
    }

    // A zombie slice on each child's own track, from its exit to its reap.
    for (const fork of forks) {
      const zombie = events(trace, 'X').filter((e) => e.pid === fork.childPid && e.args!.phase === 'zombie')
      expect(zombie).toHaveLength(1)
      const exit = server.find((e) => e.kind === 'exit' && e.childPid === fork.childPid)!
      const reap = server.find((e) => e.kind === 'reap' && e.childPid === fork.childPid)!
      expect(zombie[0]!.ts).toBeCloseTo(exit.t, 2)
      expect(zombie[0]!.dur).toBeCloseTo(reap.kind === 'reap' ? reap.zombieUs : 0, 0)
      expect(threads.get(`${fork.childPid}:${fork.childPid}`)).toBe('main thread')
    }

    // Flows pair up: a fork's to its child, each send's to the other side's recv.
    const starts = events(trace, 's')
    const ends = events(trace, 'f')
    expect(starts.length).toBe(ends.length)
    for (const s of starts) {
      const f = ends.filter((e) => e.id === s.id)
      expect(f).toHaveLength(1)
      expect(f[0]!.bp).toBe('e')
      expect([f[0]!.name, f[0]!.cat]).toEqual([s.name, s.cat])
    }
    const forkFlows = starts.filter((s) => s.name === 'fork')
    expect(forkFlows).toHaveLength(3)
    for (const s of forkFlows) expect(forks.map((f) => f.childPid)).toContain(ends.find((e) => e.id === s.id)!.pid)
    expect(starts.filter((s) => s.name === 'client → server')).toHaveLength(client.filter((e) => e.kind === 'send').length)
    for (const s of starts.filter((x) => x.name === 'client → server')) expect(ends.find((e) => e.id === s.id)!.pid).toBe(listen.src.pid)
  })

  it('--format csv: a row per connection, waited, bytes each way, who closed', async () => {
    const out = file('run.csv')
    const run = await cli(['export', serverTrace, clientTrace, '--format', 'csv', '-o', out])
    expect(run.code).toBe(0)
    const [head, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => l.split(','))
    expect(head).toEqual(['connection', 'number', 'client_port', 'server_run', 'server_model', 'server_port', 'connect_s', 'accept_s', 'waited_s', 'served_s', 'closed_s', 'bytes_client_to_server', 'bytes_server_to_client', 'closed_by'])
    expect(rows).toHaveLength(3)
    const col = (row: string[], name: string) => row[head!.indexOf(name)]!
    const conns = new Set(client.filter((e) => e.kind === 'connect').map((e) => (e as { conn: string }).conn))
    expect(rows.map((r) => col(r, 'number'))).toEqual(['1', '2', '3'])
    for (const row of rows) {
      expect(conns.has(col(row, 'connection'))).toBe(true)
      expect(col(row, 'connection')).toBe(`${col(row, 'client_port')}>${col(row, 'server_port')}`)
      expect([col(row, 'server_run'), col(row, 'server_model')]).toEqual(['s1', 'fork'])
      for (const name of ['connect_s', 'accept_s', 'waited_s', 'served_s', 'closed_s']) expect(col(row, name)).toMatch(/^\d+\.\d{6}$/)
      expect(Number(col(row, 'waited_s'))).toBeGreaterThanOrEqual(0)
      expect(Number(col(row, 'waited_s'))).toBeCloseTo(Number(col(row, 'accept_s')) - Number(col(row, 'connect_s')), 5)
      // Each child sleeps its 0.3 s before it reads: served counts from its first recv, so it is shorter than that.
      expect(Number(col(row, 'served_s'))).toBeLessThan(0.3)
      expect(Number(col(row, 'closed_s'))).toBeGreaterThan(Number(col(row, 'accept_s')) + 0.3)
      expect([col(row, 'bytes_client_to_server'), col(row, 'bytes_server_to_client')]).toEqual([String(WIRE_BYTES), String(WIRE_BYTES)])
      // The burst client closes once it has its replies; the server's child sees its EOF.
      expect(col(row, 'closed_by')).toBe('client')
    }
  })

  it('bad input: one line naming the file and the line, TRACE_CORRUPT, exit 1', async () => {
    const header = readFileSync(serverTrace, 'utf8').split('\n')[0]!
    const good = readFileSync(serverTrace, 'utf8').split('\n').slice(1, 4)
    const recv = JSON.stringify({ kind: 'recv', t: 5, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, conn: '1>2', bytes: '5', preview: 'x' })
    const cases: [string, string | Buffer, number, RegExp][] = [
      ['text.ndjson', 'hello, world\nnot json either\n', 1, /the first line is not JSON/],
      ['no-header.ndjson', [...good, ''].join('\n'), 1, /not a sockscope-trace header/],
      ['other-format.ndjson', [JSON.stringify({ format: 'chrome-trace', version: 1 }), ...good, ''].join('\n'), 1, /not a sockscope-trace header/],
      ['newer.ndjson', [header.replace('"version":2', '"version":4'), ...good, ''].join('\n'), 1, /version 4, from a newer Sockscope/],
      ['wrong-type.ndjson', [header, good[0], recv, good[1], ''].join('\n'), 3, /a recv event whose field bytes is wrong/],
      ['torn-middle.ndjson', [header, good[0], good[1]!.slice(0, 30), good[2], ''].join('\n'), 3, /not valid JSON/],
      ['binary.ndjson', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x0a, 0x01, 0x02]), 1, /the first line is not JSON/],
      ['binary-body.ndjson', Buffer.concat([Buffer.from(`${header}\n${good[0]}\n`), Buffer.from([0x00, 0xff, 0x7b, 0x0a, 0xfe, 0x0a])]), 3, /not valid JSON/],
    ]
    for (const [name, content] of cases) writeFileSync(file(name), content)
    const runs = await Promise.all(cases.map(([name]) => cli(['export', file(name), '--format', 'perfetto', '-o', file(`${name}.json`)])))
    runs.forEach((run, i) => {
      const [name, , line, what] = cases[i]!
      expect(run.code, name).toBe(1)
      expect(run.stderr.filter(Boolean), name).toHaveLength(1)
      expect(run.stderr[0], name).toContain(`${file(name)}, line ${line}: `)
      expect(run.stderr[0], name).toMatch(what)
      expect(run.stderr[0], name).toMatch(/^sockscope: .* \(TRACE_CORRUPT\)$/)
      expect(run.stdout, name).toEqual([])
    })
  })

  it('a last line cut off loads the rest and says so; unknown kinds are skipped and counted; usage errors exit 2; --help has examples', async () => {
    const text = readFileSync(serverTrace, 'utf8')
    const lines = text.trimEnd().split('\n')
    writeFileSync(file('torn.ndjson'), [...lines.slice(0, -1), lines.at(-1)!.slice(0, 40)].join('\n'))
    const future = (t: number) => JSON.stringify({ kind: 'teleport', t, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, to: 'mars' })
    writeFileSync(file('newer-kinds.ndjson'), [lines[0], future(1), ...lines.slice(1, 5), future(2), ...lines.slice(5), ''].join('\n'))
    const [torn, newer, badFormat, noOutput, help] = await Promise.all([
      cli(['export', file('torn.ndjson'), clientTrace, '--format', 'csv', '-o', file('torn.csv')]),
      cli(['export', file('newer-kinds.ndjson'), '--format', 'perfetto', '-o', file('newer.json')]),
      cli(['export', serverTrace, '--format', 'svg', '-o', file('x.json')]),
      cli(['export', serverTrace, '--format', 'csv']),
      cli(['export', '--help']),
    ])
    expect(torn.code).toBe(0)
    expect(torn.stderr.filter(Boolean)).toEqual([
      `sockscope: ${file('torn.ndjson')}, line ${lines.length}: the last line was cut off (its recorder stopped mid-write); exported the ${server.filter((e) => e.kind !== 'proc' && e.kind !== 'sockets').length - (lines.at(-1)!.includes('"proc"') ? 0 : 1)} events before it`,
    ])
    expect(readFileSync(file('torn.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(4)

    expect(newer.code).toBe(0)
    expect(newer.stderr.filter(Boolean)).toEqual([`sockscope: ${file('newer-kinds.ndjson')}: skipped 2 events of kinds this Sockscope does not know (teleport ×2), from a newer Sockscope`])
    const exported = JSON.parse(readFileSync(file('newer.json'), 'utf8')) as { traceEvents: TraceEventJson[] }
    expect(exported.traceEvents.some((e) => e.name === 'teleport')).toBe(false)
    expect(exported.traceEvents.filter((e) => e.ph === 'i' && e.name === 'recv')).toHaveLength(server.filter((e) => e.kind === 'recv').length)

    for (const run of [badFormat, noOutput]) {
      expect(run.code).toBe(2)
      expect(run.stderr[0]).toMatch(/^sockscope: .*\(BAD_OPTION\)$/)
    }
    expect(badFormat.stderr[0]).toBe("sockscope: --format must be one of perfetto, csv, not 'svg' (BAD_OPTION)")
    expect(help.code).toBe(0)
    expect(help.stdout.join('\n')).toMatch(/--format <format>/)
    expect(help.stdout.join('\n')).toMatch(/sockscope export server\.ndjson clients\.ndjson --format perfetto -o run\.json/)
  })

  it('events out of time order are sorted: a shuffled trace exports the same', async () => {
    const [header, ...lines] = readFileSync(serverTrace, 'utf8').trimEnd().split('\n')
    // Reversed, then the halves swapped: nothing is in order any more.
    const shuffled = lines.reverse()
    writeFileSync(file('shuffled.ndjson'), [header, ...shuffled.slice(shuffled.length >> 1), ...shuffled.slice(0, shuffled.length >> 1), ''].join('\n'))
    const csvOf = async (files: string[]) => toCsv(buildModel(await loadRecording(files)))
    const ordered = await csvOf([serverTrace, clientTrace])
    expect(ordered.split('\n')).toHaveLength(5)
    expect(await csvOf([file('shuffled.ndjson'), clientTrace])).toBe(ordered)
    const recording = await loadRecording([file('shuffled.ndjson'), clientTrace])
    expect(recording.events.map((e) => e.t)).toEqual(recording.events.map((e) => e.t).sort((x, y) => x - y))
  })

  it('-o to a pipe writes into it (a rename would replace it); a header that says write-failed is named on stderr', async () => {
    const fifo = file('out.fifo')
    spawnSync('mkfifo', [fifo])
    const reading = new Promise<string>((resolve) => {
      let text = ''
      createReadStream(fifo, 'utf8').on('data', (chunk) => (text += chunk)).on('end', () => resolve(text))
    })
    const header = readFileSync(serverTrace, 'utf8').split('\n')[0]!
    writeFileSync(file('write-failed.ndjson'), readFileSync(serverTrace, 'utf8').replace(header, header.replace('"ended":"clean"}', '"ended":"write-failed"}')))
    const run = await cli(['export', file('write-failed.ndjson'), clientTrace, '--format', 'csv', '-o', fifo])
    expect(run.code).toBe(0)
    expect((await reading).trimEnd().split('\n')).toHaveLength(4)
    expect(statSync(fifo).isFIFO()).toBe(true)
    expect(run.stderr.filter(Boolean)).toHaveLength(1)
    expect(run.stderr[0]).toMatch(/write-failed\.ndjson: its header says "ended":"write-failed"/)
  })

  it('a thread server: one named track per handler thread, with the phases derive.ts gives it', async () => {
    const threadServer = file('thread-server.ndjson')
    const threadClients = file('thread-clients.ndjson')
    const serve = runCli(['serve', '--model', 'thread', '--port', '0', '--delay', '0.1', '--trace', threadServer, '-q'])
    const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
    expect((await cli(['clients', '--port', port!, '--count', '2', '--trace', threadClients])).code).toBe(0)
    serve.child.kill('SIGINT')
    expect((await serve.exited).code).toBe(0)
    const model = buildModel(await loadRecording([threadServer, threadClients]))
    const trace = toPerfetto(model)
    expect(model.threads).toHaveLength(2)
    for (const t of model.threads) {
      const name = `thread ${t.tid} for #${model.connIndex.get(t.conn!)}`
      const track = meta(trace, 'thread_name').find((e) => e.args!.name === name)!
      expect(track.pid).toBe(t.pid)
      const slices = events(trace, 'X').filter((e) => e.pid === t.pid && e.tid === track.tid)
      expect(slices.map((e) => [e.args!.phase, e.args!.on ?? null])).toEqual(t.phases.map((p) => [p.kind, p.on ?? null]))
      expect(slices.some((e) => e.args!.on === 'sleep')).toBe(true)
    }
    expect(meta(trace, 'process_name').map((e) => e.args!.name)).toEqual(expect.arrayContaining(['server s1 · thread · echo', 'clients c1 · 2 connections']))
  })
})
