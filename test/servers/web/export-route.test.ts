import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXPORT_ASK_HEADER, EXPORT_PATH } from '../../../src/servers/web/protocol.ts'
import { startWebHost, type WebHost } from '../../../src/servers/web/web-host.ts'

/**
 * Web mode's export route (Export video… / Export PNG) as a page, or another site, reaches
 * it: only the lab's own page may POST a render, a bad ask is refused with its code before
 * anything runs, and a host without ffmpeg says how to install it. The renders themselves
 * are test/e2e/export.e2e.test.ts (real Chromium, real ffmpeg).
 */

let dir: string
let host: WebHost
const trace = '{"format":"sockscope-trace","version":2,"createdAt":"2026-12-02T00:00:00.000Z","originNs":"0","command":"test","ended":"clean"}\n'
const video = { kind: 'video', format: 'mp4', width: 1280, height: 720, fps: 30, speed: 1, from: 0, to: 1, captions: false, theme: 'dark' }

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-export-route-'))
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Sockscope</title>')
  host = await startWebHost({ rendererDir: dir, port: 0, log: () => {} })
})

afterAll(async () => {
  await host?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function request(method: string, pathname: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: pathname, method, headers }, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: String(res.headers['content-type']) }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const own = () => ({ Origin: `http://127.0.0.1:${host.port}`, 'Sec-Fetch-Site': 'same-origin' })
const ask = (value: unknown) => ({ [EXPORT_ASK_HEADER]: encodeURIComponent(JSON.stringify(value)) })

describe('the export route', () => {
  it("renders for the lab's own page only: another site's POST is refused, and POST stays refused elsewhere", async () => {
    expect((await request('POST', EXPORT_PATH, { Origin: 'http://attacker.example', ...ask(video) }, trace)).status).toBe(403)
    expect((await request('POST', EXPORT_PATH, { ...own(), 'Sec-Fetch-Site': 'cross-site', ...ask(video) }, trace)).status).toBe(403)
    expect((await request('POST', '/api/trace', own(), trace)).status).toBe(405)
    const gone = await request('GET', `${EXPORT_PATH}/${'0'.repeat(24)}`, {})
    expect(gone.status).toBe(404)
    expect(JSON.parse(gone.body)).toMatchObject({ code: 'BAD_MESSAGE', message: expect.stringMatching(/export again/) })
  })

  it('refuses a missing or bad ask with BAD_OPTION, naming the field, before it renders anything', async () => {
    const missing = await request('POST', EXPORT_PATH, own(), trace)
    expect(missing.status).toBe(400)
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'BAD_OPTION', message: expect.stringMatching(/sockscope-export-ask header/) })
    const odd = await request('POST', EXPORT_PATH, { ...own(), ...ask({ ...video, width: 1281 }) }, trace)
    expect(JSON.parse(odd.body)).toMatchObject({ code: 'BAD_OPTION', message: 'the size must be even sides from 320 to 3840 px, not 1281×720' })
    const format = await request('POST', EXPORT_PATH, { ...own(), ...ask({ ...video, format: 'avi' }) }, trace)
    expect(JSON.parse(format.body)).toMatchObject({ code: 'BAD_OPTION', message: expect.stringMatching(/^the export's format is wrong/) })
  })

  it('says how to install ffmpeg when the host has none (ENCODER_MISSING), as a line of the answer', async () => {
    const saved = process.env.PATH
    process.env.PATH = path.dirname(process.execPath)
    try {
      const res = await request('POST', EXPORT_PATH, { ...own(), ...ask(video) }, trace)
      expect(res.status).toBe(200)
      expect(res.type).toBe('application/x-ndjson')
      const lines = res.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; code?: string; message?: string })
      expect(lines[0]).toEqual({ type: 'phase', phase: 'opening' })
      expect(lines.at(-1)).toMatchObject({ type: 'error', code: 'ENCODER_MISSING', message: expect.stringMatching(/apt-get install ffmpeg/) })
    } finally {
      process.env.PATH = saved
    }
  })
})
