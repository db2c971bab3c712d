import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { type HostMessage, type RunInfo, TRACE_PATH } from '../../../src/servers/web/protocol.ts'
import { type SessionRecord, sessionTraceName, streamSessionTrace, writeSessionTrace } from '../../../src/servers/web/session-trace.ts'
import { startWebHost, type WebHost } from '../../../src/servers/web/web-host.ts'
import { openPageSession } from './fixtures/page-session.ts'

/**
 * Save trace of a real live session: a real server and real clients started through the
 * WebSocket API, as a page starts them; the download read back with the CLI's own trace
 * reader must hold the very events the page was sent, at the same times, on the lab's
 * clock (the header's originNs).
 */

let dir: string
let rendererDir: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-save-'))
  rendererDir = path.join(dir, 'renderer')
  fs.mkdirSync(rendererDir)
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Sockscope</title>')
})

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const session = (host: WebHost) => openPageSession(host.port)

/** Start a server and a burst of clients from the page, and wait until the server has closed all of them. */
async function liveRun(s: Awaited<ReturnType<typeof session>>, count: number): Promise<void> {
  const server = (await s.request('startServer', { model: 'thread', app: 'echo', delay: 0 })).result as RunInfo
  const clients = (await s.request('runClients', { port: server.ports![0], count })).result as RunInfo
  const runs = () => s.messages.findLast((m) => m.type === 'runs') as Extract<HostMessage, { type: 'runs' }> | undefined
  await s.until(() => runs()?.runs.some((r) => r.id === clients.id && r.state === 'finished') ?? false, 'the workload to finish')
  await s.until(() => s.events().filter((e) => e.kind === 'close' && e.src.role === 'server').length === count, 'the server’s closes')
}

/** GET the download into a file, streamed, as a browser saves it. */
async function download(host: WebHost, into: string): Promise<http.IncomingMessage> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port: host.port, path: TRACE_PATH }, resolve).on('error', reject))
  await pipeline(res, fs.createWriteStream(into))
  return res
}

const byTime = (a: SockscopeEvent, b: SockscopeEvent) => a.t - b.t || JSON.stringify(a).localeCompare(JSON.stringify(b))
const sorted = (events: readonly SockscopeEvent[]) => [...events].sort(byTime)

describe('Save trace in web mode', () => {
  let host: WebHost

  beforeAll(async () => {
    host = await startWebHost({ rendererDir, port: 0 })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('downloads the live session as a trace the CLI’s reader reads back: the same events, at the same times, on the lab’s clock', async () => {
    const s = await session(host)
    await liveRun(s, 5)
    await s.request('stopAll', {})
    const file = path.join(dir, 'web-session.ndjson')
    const res = await download(host, file)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="sockscope-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.ndjson"$/)

    const trace = await readTrace(file)
    expect(trace.problems).toEqual([])
    expect(trace.header).toMatchObject({ format: 'sockscope-trace', version: 2, ended: 'clean', originNs: String(host.service.lab.clock.originNs) })
    expect(trace.header.command).toMatch(/^sockscope web: the lab's live session, saved \d{4}-/)
    expect(trace.header.command).not.toMatch(/dropped|cleared/)
    // Everything in the file was sent to the page before the file was cut: wait until the page has it all.
    await s.until(() => s.events().length >= trace.events.length, 'the page to get what the file holds')
    const delivered = s.events().slice(0, trace.events.length)
    expect(trace.events.length).toBeGreaterThan(5 * 6)
    expect(trace.events.filter((e) => e.kind === 'accept')).toHaveLength(5)
    expect(sorted(trace.events)).toEqual(sorted(delivered))
    s.ws.close()
  })

  it('is refused the saveTrace request, which is Electron’s, with the path to download instead', async () => {
    const s = await session(host)
    expect(await s.request('saveTrace', {})).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringContaining(TRACE_PATH) } })
    s.ws.close()
  })

  it('says in the header when the session was cleared', async () => {
    const s = await session(host)
    await s.request('clear', {})
    const file = path.join(dir, 'cleared.ndjson')
    await download(host, file)
    const trace = await readTrace(file)
    expect(trace.header.command).toMatch(/cleared at t=\d+\.\d{3} s: the events before it are not in this file/)
    // What a clear keeps is the OS's reading of what is alive: no event of the run before it.
    expect(trace.events.every((e) => e.src.role === 'os')).toBe(true)
    s.ws.close()
  })
})

describe('the live session\'s notes', () => {
  let host: WebHost

  beforeAll(async () => {
    host = await startWebHost({ rendererDir, port: 0 })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('are kept by the lab: every page is told, a reloaded page has them, both saves write them as version 3 note records, a clear forgets them', async () => {
    const a = await session(host)
    const b = await session(host)
    await liveRun(a, 2)
    const accept = a.events().find((e) => e.kind === 'accept')!
    const notes = [{ t: accept.t + 10, text: 'watch the queue grow' }, { t: accept.t, text: 'the first accept' }]
    expect(await a.request('setNotes', { notes })).toMatchObject({ ok: true })
    // In time order, to every page.
    const inOrder = [notes[1], notes[0]]
    await b.until(() => b.messages.some((m) => m.type === 'notes' && JSON.stringify(m.notes) === JSON.stringify(inOrder)), 'the other page to be told')
    const reloaded = await session(host)
    const hello = reloaded.messages.find((m) => m.type === 'hello') as Extract<HostMessage, { type: 'hello' }>
    expect(hello.notes).toEqual(inOrder)

    const file = path.join(dir, 'noted.ndjson')
    await download(host, file)
    const downloaded = await readTrace(file)
    expect(downloaded.header).toMatchObject({ version: 3, ended: 'clean' })
    expect(downloaded.notes).toEqual(inOrder)
    expect(downloaded.events.length).toBeGreaterThan(10)
    const written = path.join(dir, 'noted-electron.ndjson')
    await writeSessionTrace(host.service.recorded(), written)
    const saved = await readTrace(written)
    expect(saved.header).toMatchObject({ version: 3, ended: 'clean' })
    expect(saved.notes).toEqual(inOrder)
    // (The OS sampler goes on: the later save may hold a reading or two more.)
    expect(saved.events.length).toBeGreaterThanOrEqual(downloaded.events.length)

    // Bad notes are refused, and the kept ones stay.
    expect(await a.request('setNotes', { notes: [{ t: 1, text: 'x'.repeat(5000) }] })).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } })
    expect(await a.request('setNotes', { notes: Array.from({ length: 501 }, (_, i) => ({ t: i, text: 'n' })) })).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } })
    expect(host.service.recorded().notes).toEqual(inOrder)

    await a.request('clear', {})
    expect(host.service.recorded().notes).toEqual([])
    for (const s of [a, b, reloaded]) s.ws.close()
  })
})

describe('Save trace of a trimmed history', () => {
  let host: WebHost

  beforeAll(async () => {
    host = await startWebHost({ rendererDir, port: 0, historyLimit: 40 })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('says how many events the file does not hold, and holds exactly what the lab kept', async () => {
    const s = await session(host)
    // 10 clients of a thread server make well over 45 events (40 and an eighth), where the history trims.
    await liveRun(s, 10)
    await s.request('stopAll', {})
    const file = path.join(dir, 'trimmed.ndjson')
    await download(host, file)
    const trace = await readTrace(file)
    const dropped = Number(/the first (\d+) events were dropped \(the lab keeps the last 40\)/.exec(trace.header.command)?.[1])
    expect(dropped).toBeGreaterThan(0)
    await s.until(() => s.events().length >= dropped + trace.events.length, 'the page to get what the file holds')
    // The file is the session's events after the ones dropped, as the page got them.
    expect(sorted(trace.events)).toEqual(sorted(s.events().slice(dropped, dropped + trace.events.length)))
    expect(trace.events.length).toBeGreaterThanOrEqual(40)
    expect(trace.events.length).toBeLessThanOrEqual(45)
    s.ws.close()
  })
})

describe('Save trace in Electron (writeSessionTrace, what main calls after its save dialog)', () => {
  let host: WebHost

  beforeAll(async () => {
    host = await startWebHost({ rendererDir, port: 0 })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('writes the session with TraceWriter: a clean ending, the same events', async () => {
    const s = await session(host)
    await liveRun(s, 3)
    const file = path.join(dir, sessionTraceName())
    const record = host.service.recorded()
    const saved = await writeSessionTrace(record, file)
    expect(saved).toEqual({ path: file, events: record.count })
    const trace = await readTrace(file)
    expect(trace.header).toMatchObject({ version: 2, ended: 'clean', originNs: String(host.service.lab.clock.originNs) })
    expect(trace.events).toHaveLength(record.count)
    await s.until(() => s.events().length >= record.count, 'the page to get what the file holds')
    expect(sorted(trace.events)).toEqual(sorted(s.events().slice(0, record.count)))
    s.ws.close()
  })

  it('fails with TRACE_WRITE_FAILED where the file cannot be written, and the session keeps everything', async () => {
    const before = host.service.recorded().count
    await expect(writeSessionTrace(host.service.recorded(), '/dev/full')).rejects.toMatchObject({ code: 'TRACE_WRITE_FAILED', message: expect.stringContaining('no space left on device (ENOSPC)') })
    await expect(writeSessionTrace(host.service.recorded(), dir)).rejects.toMatchObject({ code: 'TRACE_WRITE_FAILED', message: expect.stringContaining('save it to another file') })
    expect(host.service.recorded().count).toBeGreaterThanOrEqual(before)
  })
})

describe('streamSessionTrace', () => {
  it('holds at most a piece or so of the file however large the session, at the pace of a slow reader, and stops when it goes away', async () => {
    const events = Array.from({ length: 60_000 }, (_, i) => ({ kind: 'recv', t: i * 10, src: { role: 'server', run: 's1', pid: 10, tid: 0 }, conn: `${50000 + (i % 100)}>4000`, bytes: 64, preview: 'x'.repeat(64) }))
    const record: SessionRecord = { events: events as unknown as SockscopeEvent[], count: events.length, originNs: 123n, host: 'web', trimmed: 0, historyLimit: 1_000_000, clearedAt: null, notes: [], lessons: [] }
    let total = 0
    let most = 0
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, done) {
        total += chunk.length
        // What waits to be taken, the chunk in hand included.
        most = Math.max(most, slow.writableLength)
        setImmediate(done)
      },
    })
    const written = await streamSessionTrace(record, slow)
    expect(written).toBe(events.length)
    expect(total).toBeGreaterThan(10 * 1024 * 1024)
    // One piece (1000 events, ~190 KB) past the reader's mark at most: never the file.
    expect(most).toBeLessThan(512 * 1024)

    // A download cancelled part way: the rest is not written, and nothing throws.
    let taken = 0
    const gone = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        taken += chunk.length
        if (taken > 1024 * 1024) gone.destroy()
        setImmediate(done)
      },
    })
    expect(await streamSessionTrace(record, gone)).toBeLessThan(events.length)
  })
})
