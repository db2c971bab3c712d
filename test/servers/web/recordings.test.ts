import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { LabService } from '../../../src/servers/web/lab-service.ts'
import { API_PATH, type HostMessage, HostMessageSchema, MAX_RECORDING_CHUNK, RECORDINGS_PATH } from '../../../src/servers/web/protocol.ts'
import { argumentBase, checkReadable, MAX_RECORDINGS, RecordingList } from '../../../src/servers/web/recordings.ts'
import { startWebHost, type WebHost } from '../../../src/servers/web/web-host.ts'

/**
 * Trace files a host offers its pages: checked when listed, served byte for byte over
 * HTTP (web mode) and in bounded chunks over the request API (Electron's bridge). The
 * files hold bytes no text decoding would give back (invalid UTF-8, a character split
 * across a chunk's end), so "the same bytes" means the same bytes.
 */

let dir: string
let rendererDir: string
/** 9 MiB and a bit: three chunks of readRecording, the last one short. */
let big: string
let bigBytes: Buffer
let small: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-recordings-'))
  rendererDir = path.join(dir, 'renderer')
  fs.mkdirSync(rendererDir)
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Sockscope</title>')
  bigBytes = Buffer.concat([Buffer.from('{"format":"sockscope-trace"} ünïcödé \xff\xfe'), crypto.randomBytes(9 * 1024 * 1024 + 4321)])
  big = path.join(dir, 'big trace.ndjson')
  fs.writeFileSync(big, bigBytes)
  small = path.join(dir, 'small.ndjson')
  fs.writeFileSync(small, '{"format":"sockscope-trace","version":2}\n€\n')
})

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

function get(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
  })
}

/** The first message a page gets, checked by the protocol's schema. */
function hello(host: WebHost, query = ''): Promise<Extract<HostMessage, { type: 'hello' }>> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}${API_PATH}${query}`, { origin: `http://127.0.0.1:${host.port}` })
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => {
      ws.close()
      const message = HostMessageSchema.parse(JSON.parse(String(data)))
      if (message.type === 'hello') resolve(message)
      else reject(new Error(`first message was ${message.type}`))
    })
    ws.once('error', reject)
  })
}

describe('RecordingList', () => {
  it('lists files with their names and sizes, keeps the index of one listed again, and refuses all when one cannot be read', async () => {
    const list = new RecordingList()
    expect(await list.add([small, big])).toEqual([0, 1])
    expect(list.list()).toEqual([
      { index: 0, name: 'small.ndjson', bytes: fs.statSync(small).size },
      { index: 1, name: 'big trace.ndjson', bytes: bigBytes.length },
    ])
    expect(await list.add(['small.ndjson'], dir)).toEqual([0])
    await expect(list.add([small, path.join(dir, 'nope.ndjson')])).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringMatching(/cannot read .*nope\.ndjson: no such file or directory \(ENOENT\)/) })
    await expect(list.add([dir])).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining('it is not a file') })
    expect(list.list()).toHaveLength(2)
  })

  it('refuses an unreadable file at once, not when a page asks for it', async () => {
    const locked = path.join(dir, 'locked.ndjson')
    fs.writeFileSync(locked, 'x')
    fs.chmodSync(locked, 0)
    try {
      // root reads any file whatever its mode: then there is nothing to refuse.
      if (process.getuid?.() === 0) return
      await expect(checkReadable(locked)).rejects.toMatchObject({ code: 'BAD_OPTION', message: expect.stringContaining('permission denied (EACCES)') })
    } finally {
      fs.chmodSync(locked, 0o600)
    }
  })

  it('reads in chunks of at most 4 MiB that put the file back together byte for byte', async () => {
    const list = new RecordingList()
    const [index] = await list.add([big])
    const parts: Buffer[] = []
    let offset = 0
    let chunks = 0
    for (;;) {
      const chunk = await list.read(index!, offset, MAX_RECORDING_CHUNK)
      expect(chunk.offset).toBe(offset)
      expect(chunk.size).toBe(bigBytes.length)
      const bytes = Buffer.from(chunk.data, 'base64')
      expect(bytes.length).toBe(chunk.bytes)
      expect(bytes.length).toBeLessThanOrEqual(MAX_RECORDING_CHUNK)
      parts.push(bytes)
      offset += bytes.length
      chunks++
      if (chunk.eof) break
    }
    expect(chunks).toBe(3)
    expect(Buffer.concat(parts).equals(bigBytes)).toBe(true)
  })

  it('says what is wrong with a read out of bounds', async () => {
    const list = new RecordingList()
    await list.add([small])
    const size = fs.statSync(small).size
    await expect(list.read(0, 0, MAX_RECORDING_CHUNK + 1)).rejects.toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringContaining(`at most ${MAX_RECORDING_CHUNK} bytes (4 MiB) at a time, not ${MAX_RECORDING_CHUNK + 1}`) })
    await expect(list.read(0, size + 1, 10)).rejects.toMatchObject({ code: 'BAD_MESSAGE', message: `offset ${size + 1} is past the end of small.ndjson (${size} bytes)` })
    await expect(list.read(3, 0, 10)).rejects.toMatchObject({ code: 'BAD_MESSAGE', message: 'no recording 3: this lab lists recordings 0 to 0' })
    // At the very end: nothing more, and it says so.
    expect(await list.read(0, size, 10)).toMatchObject({ bytes: 0, eof: true, data: '' })
  })

  it('has a cap on how many it lists', async () => {
    const list = new RecordingList()
    const files = Array.from({ length: MAX_RECORDINGS + 1 }, (_, i) => path.join(dir, `many-${i}.ndjson`))
    for (const f of files) fs.writeFileSync(f, '')
    await list.add(files.slice(0, MAX_RECORDINGS))
    await expect(list.add(files.slice(MAX_RECORDINGS))).rejects.toMatchObject({ code: 'LIMIT_REACHED', message: expect.stringContaining(`at most ${MAX_RECORDINGS} recordings`) })
  })

  it('resolves `npm run web -- FILE` from where the person typed it, not the package root', () => {
    const npmRun = { npm_package_name: 'sockscope', npm_lifecycle_event: 'web', INIT_CWD: '/home/me/traces' }
    expect(argumentBase(npmRun, '/repo')).toBe('/home/me/traces')
    expect(argumentBase({ ...npmRun, npm_lifecycle_event: 'start' }, '/repo')).toBe('/home/me/traces')
    // Another package's script that runs sockscope from its own directory: its cwd is meant.
    expect(argumentBase({ ...npmRun, npm_package_name: 'course-notes' }, '/course/sub')).toBe('/course/sub')
    expect(argumentBase({}, '/here')).toBe('/here')
  })
})

describe('LabService: readRecording over the request API (what Electron’s bridge carries)', () => {
  it('answers chunks and refusals as responses', async () => {
    const service = new LabService(new Lab({ osSampling: false }), { host: 'electron' })
    try {
      await service.addRecordings([small], { atStart: true })
      const ok = await service.handle({ type: 'request', id: 1, method: 'readRecording', params: { index: 0, offset: 0, length: 3 } })
      expect(ok).toMatchObject({ type: 'response', id: 1, ok: true, result: { offset: 0, bytes: 3, eof: false } })
      const over = await service.handle({ type: 'request', id: 2, method: 'readRecording', params: { index: 0, offset: 0, length: MAX_RECORDING_CHUNK * 2 } })
      expect(over).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringContaining('4 MiB') } })
      const past = await service.handle({ type: 'request', id: 3, method: 'readRecording', params: { index: 0, offset: 1e6, length: 10 } })
      expect(past).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE', message: expect.stringContaining('past the end') } })
      const negative = await service.handle({ type: 'request', id: 4, method: 'readRecording', params: { index: 0, offset: -1, length: 10 } })
      expect(negative).toMatchObject({ ok: false, error: { code: 'BAD_MESSAGE' } })
    } finally {
      await service.dispose()
    }
  })

  it('tells every page to open files added later, in a recordings message', async () => {
    const service = new LabService(new Lab({ osSampling: false }), { host: 'electron' })
    try {
      const seen: HostMessage[] = []
      service.attach((m) => seen.push(HostMessageSchema.parse(JSON.parse(JSON.stringify(m))) as HostMessage))
      expect(seen[0]).toMatchObject({ type: 'hello', recordings: [], openAtStart: false })
      await service.addRecordings([small])
      await service.addRecordings([big, small])
      const messages = seen.filter((m) => m.type === 'recordings')
      expect(messages).toEqual([
        { type: 'recordings', recordings: [{ index: 0, name: 'small.ndjson', bytes: fs.statSync(small).size }], open: [0] },
        {
          type: 'recordings',
          recordings: [
            { index: 0, name: 'small.ndjson', bytes: fs.statSync(small).size },
            { index: 1, name: 'big trace.ndjson', bytes: bigBytes.length },
          ],
          open: [1, 0],
        },
      ])
    } finally {
      await service.dispose()
    }
  })
})

describe('web host with FILE arguments', () => {
  let host: WebHost

  beforeAll(async () => {
    host = await startWebHost({ rendererDir, port: 0, recordings: ['small.ndjson', big], recordingsBase: dir, labLimits: {} })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('greets every page with the recordings and openAtStart', async () => {
    const first = await hello(host)
    expect(first.openAtStart).toBe(true)
    expect(first.recordings).toEqual([
      { index: 0, name: 'small.ndjson', bytes: fs.statSync(small).size },
      { index: 1, name: 'big trace.ndjson', bytes: bigBytes.length },
    ])
    // A reload is greeted the same.
    expect((await hello(host)).recordings).toHaveLength(2)
  })

  it('serves each file at its path with its exact bytes and length', async () => {
    const res = await get(host.port, `${RECORDINGS_PATH}1`)
    expect(res.status).toBe(200)
    expect(res.headers['content-length']).toBe(String(bigBytes.length))
    expect(res.headers['content-type']).toBe('application/x-ndjson')
    expect(res.body.equals(bigBytes)).toBe(true)
    const head = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: host.port, path: `${RECORDINGS_PATH}0`, method: 'HEAD' }, resolve)
      req.on('error', reject)
      req.end()
    })
    expect(head.headers['content-length']).toBe(String(fs.statSync(small).size))
    head.resume()
  })

  it('serves nothing it does not list, and nothing to another site’s request', async () => {
    expect((await get(host.port, `${RECORDINGS_PATH}2`)).status).toBe(404)
    expect((await get(host.port, `${RECORDINGS_PATH}..%2Fsmall.ndjson`)).status).toBe(404)
    expect((await get(host.port, `${RECORDINGS_PATH}0`, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403)
    // Another port of this machine is "same-site" to a browser, and no more trusted.
    expect((await get(host.port, `${RECORDINGS_PATH}0`, { 'Sec-Fetch-Site': 'same-site' })).status).toBe(403)
    expect((await get(host.port, `${RECORDINGS_PATH}0`, { 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200)
    expect((await get(host.port, `${RECORDINGS_PATH}0`, { Host: 'attacker.example' })).status).toBe(421)
  })

  it('refuses to start with a file it cannot read, and starts nothing', async () => {
    await expect(startWebHost({ rendererDir, port: 0, recordings: [path.join(dir, 'gone.ndjson')] })).rejects.toMatchObject({
      code: 'BAD_OPTION',
      message: expect.stringContaining('gone.ndjson: no such file or directory (ENOENT)'),
    })
  })
})

describe('web host beyond loopback with FILE arguments', () => {
  let host: WebHost

  beforeAll(async () => {
    host = await startWebHost({ rendererDir, host: '0.0.0.0', allowRemote: true, port: 0, recordings: [small] })
  })

  afterAll(async () => {
    await host?.close()
  })

  it('wants the token for the files as for everything else', async () => {
    expect((await get(host.port, `${RECORDINGS_PATH}0`)).status).toBe(403)
    expect((await get(host.port, `${RECORDINGS_PATH}0?token=${'0'.repeat(48)}`)).status).toBe(403)
    const res = await get(host.port, `${RECORDINGS_PATH}0?token=${host.token}`)
    expect(res.status).toBe(200)
    expect(res.body.equals(fs.readFileSync(small))).toBe(true)
    // The page's cookie, set by its first load with the token, serves them too.
    const cookie = String((await get(host.port, `/?token=${host.token}`)).headers['set-cookie']).split(';')[0]!
    expect((await get(host.port, `${RECORDINGS_PATH}0`, { Cookie: cookie })).status).toBe(200)
    expect((await hello(host, `?token=${host.token}`)).recordings).toEqual([{ index: 0, name: 'small.ndjson', bytes: fs.statSync(small).size }])
  })
})
