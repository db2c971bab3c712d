import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { API_PATH, type HostMessage, type RunInfo } from '../../../src/servers/web/protocol.ts'
import { startWebHost, type WebHost } from '../../../src/servers/web/web-host.ts'
import { openPageSession } from './fixtures/page-session.ts'
import { isAlive } from '../../helpers/lab-run.ts'
import { killAll, startPython } from '../os/processes.ts'

/** The static side is served from a folder of our own; the lab behind it is real. */
let dir: string
let host: WebHost

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-web-'))
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Sockscope</title>')
  fs.mkdirSync(path.join(dir, 'assets'))
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)')
  fs.writeFileSync(path.join(os.tmpdir(), 'sockscope-secret.txt'), 'secret')
  host = await startWebHost({ rendererDir: dir, port: 0 })
})

afterAll(async () => {
  await host?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function get(pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: host.port, path: pathname, headers }, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
  })
}

const session = (origin?: string) => openPageSession(host.port, origin)

describe('web host: static files', () => {
  it('serves the renderer with a strict CSP and no framing', async () => {
    const res = await get('/', { Host: `127.0.0.1:${host.port}` })
    expect(res.status).toBe(200)
    expect(res.body).toContain('<title>Sockscope</title>')
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect((await get('/assets/app.js')).status).toBe(200)
  })

  it('answers only to its own name (DNS rebinding) and serves nothing outside its folder', async () => {
    expect((await get('/', { Host: 'attacker.example' })).status).toBe(421)
    expect((await get('/', { Host: `localhost:${host.port}` })).status).toBe(200)
    expect((await get('/../sockscope-secret.txt')).body).not.toContain('secret')
    expect((await get('/%2e%2e/sockscope-secret.txt')).body).not.toContain('secret')
    expect((await get('/nope.js')).status).toBe(404)
  })
})

describe('web host: the WebSocket API', () => {
  it('refuses pages from other origins', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}${API_PATH}`, { origin: 'http://evil.example' })
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('error', () => resolve(-1))
    })
    expect(status).toBe(403)
    const noOrigin = new WebSocket(`ws://127.0.0.1:${host.port}${API_PATH}`)
    await expect(new Promise((resolve, reject) => (noOrigin.on('open', resolve), noOrigin.on('error', reject)))).rejects.toThrow()
  })

  it('greets with the catalog from the registries and the specs', async () => {
    const s = await session()
    const hello = await s.waitFor((m): m is Extract<HostMessage, { type: 'hello' }> => m.type === 'hello')
    expect(hello.host).toBe('web')
    expect(hello.labPid).toBe(process.pid)
    expect(hello.catalog.models.map((m) => m.name)).toEqual(expect.arrayContaining(['iterative', 'fork', 'thread']))
    expect(hello.catalog.models.find((m) => m.name === 'fork')!.options).toContain('reap')
    expect(hello.catalog.serverFields.find((f) => f.name === 'reap')).toMatchObject({ type: 'enum', choices: ['immediate', 'on-accept', 'never'], default: 'on-accept' })
    expect(hello.catalog.clientFields.find((f) => f.name === 'count')).toMatchObject({ type: 'integer', min: 1, default: 8 })
    s.ws.close()
  })

  it('answers malformed requests with BAD_MESSAGE and bad specs with the lab’s BAD_OPTION', async () => {
    const s = await session()
    s.ws.send('not json')
    const bad = await s.waitFor((m): m is Extract<HostMessage, { type: 'response' }> => m.type === 'response' && m.id === -1)
    expect(bad.error?.code).toBe('BAD_MESSAGE')
    const unknown = await s.request('formatDisk', {})
    expect(unknown.error?.code).toBe('BAD_MESSAGE')
    const option = await s.request('startServer', { model: 'fork', delay: -3 })
    expect(option).toMatchObject({ ok: false, error: { code: 'BAD_OPTION' } })
    const model = await s.request('startServer', { model: 'carrier-pigeon' })
    expect(model.error?.code).toBe('UNKNOWN_MODEL')
    s.ws.close()
  })

  it('runs a server and clients, streams their events in batches, and stops them all', async () => {
    const s = await session()
    const started = await s.request('startServer', { model: 'iterative', app: 'echo', delay: 0 })
    expect(started.ok).toBe(true)
    const server = started.result as RunInfo
    expect(server).toMatchObject({ kind: 'server', state: 'running' })
    expect(isAlive(server.pid)).toBe(true)
    const clients = (await s.request('runClients', { port: server.ports![0], count: 3 })).result as RunInfo
    await s.waitFor((m): m is Extract<HostMessage, { type: 'runs' }> => m.type === 'runs' && m.runs.some((r) => r.id === clients.id && r.state === 'finished'))
    // The lab merges late batches a few ms after the clients report: wait for the server's closes.
    const serverCloses = () => s.events().filter((e) => e.kind === 'close' && e.src.role === 'server')
    await s.waitFor((m): m is HostMessage => m.type === 'events' && serverCloses().length === 3)
    expect(s.events().filter((e) => e.kind === 'accept')).toHaveLength(3)
    // Batches, not one message per event.
    const batches = s.messages.filter((m) => m.type === 'events' && m.events.length > 0)
    expect(batches.length).toBeLessThan(s.events().length)

    // A second page joining now sees the run from its start.
    const late = await session()
    await late.waitFor((m): m is Extract<HostMessage, { type: 'hello' }> => m.type === 'hello')
    const lateCloses = () => late.events().filter((e) => e.kind === 'close' && e.src.role === 'server')
    await late.waitFor((m): m is HostMessage => m.type === 'events' && lateCloses().length >= 3)
    expect(lateCloses()).toHaveLength(3)
    expect(late.events().filter((e) => e.kind === 'accept')).toHaveLength(3)
    late.ws.close()

    expect((await s.request('stopAll', {})).ok).toBe(true)
    const runs = await s.waitFor((m): m is Extract<HostMessage, { type: 'runs' }> => m.type === 'runs' && m.runs.every((r) => r.state === 'stopped' || r.state === 'finished'))
    expect(runs.runs.find((r) => r.id === server.id)!.endedAt).not.toBeNull()
    expect(isAlive(server.pid)).toBe(false)
    expect(isAlive(clients.pid)).toBe(false)

    expect((await s.request('clear', {})).ok).toBe(true)
    await s.waitFor((m): m is Extract<HostMessage, { type: 'cleared' }> => m.type === 'cleared')
    s.ws.close()
  })

  it('observes a process it did not start: lists it as listening, streams its tree, and notices when it ends', async () => {
    const s = await session()
    const server = await startPython('listen_sleep.py', ['4'])
    try {
      const listening = await s.request('listListening', {})
      expect(listening.ok).toBe(true)
      expect((listening.result as { pid: number }[]).some((p) => p.pid === server.pid)).toBe(true)
      const missing = await s.request('observe', { pid: 2 ** 22 + 4321 })
      expect(missing).toMatchObject({ ok: false, error: { code: 'NO_SUCH_PROCESS' } })
      const observed = (await s.request('observe', { pid: server.pid })).result as RunInfo
      expect(observed).toMatchObject({ kind: 'observed', pid: server.pid, state: 'running', spec: { pid: server.pid } })
      await s.waitFor((m): m is HostMessage => m.type === 'events' && s.events().some((e) => e.kind === 'sockets' && e.src.run === observed.id))
      expect(s.events().find((e) => e.kind === 'proc' && e.src.run === observed.id)).toMatchObject({ change: 'appeared', pid: server.pid, src: { role: 'os' } })
      // A clear forgets the past but not what the kernel lists now: a page that joins after it
      // still sees the observed process and its sockets (the sampler would not report them again).
      expect((await s.request('clear', {})).ok).toBe(true)
      const late = await session()
      await late.waitFor((m): m is Extract<HostMessage, { type: 'hello' }> => m.type === 'hello')
      const replayed = (kind: string) => late.events().some((e) => e.kind === kind && 'pid' in e && e.pid === server.pid)
      await late.waitFor((m): m is HostMessage => m.type === 'events' && replayed('proc') && replayed('sockets'))
      expect(late.events().filter((e) => e.kind === 'proc' && e.pid === server.pid)).toHaveLength(1)
      expect(late.events().some((e) => e.kind === 'sockets' && e.pid === server.pid)).toBe(true)
      expect(late.events().every((e) => e.kind === 'proc' || e.kind === 'sockets')).toBe(true)
      late.ws.close()
      // The process ends on its own: the run is finished, not left 'running'.
      process.kill(server.pid, 'SIGKILL')
      const runs = await s.waitFor((m): m is Extract<HostMessage, { type: 'runs' }> => m.type === 'runs' && m.runs.some((r) => r.id === observed.id && r.state === 'finished'))
      expect(runs.runs.find((r) => r.id === observed.id)!.endedAt).not.toBeNull()
    } finally {
      killAll()
      s.ws.close()
    }
  })
})
