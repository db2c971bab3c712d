import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SockscopeBridge } from '../../../src/preload/api.ts'
import { ipcTransport } from '../../../src/renderer/api/ipc-transport.ts'
import { ApiError, LabClient } from '../../../src/renderer/api/lab-client.ts'
import type { Transport, TransportStatus } from '../../../src/renderer/api/transport.ts'
import { resourceUrlFor } from '../../../src/renderer/api/ws-transport.ts'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { LabService } from '../../../src/servers/web/lab-service.ts'
import { MAX_RECORDING_CHUNK } from '../../../src/servers/web/protocol.ts'
import { startWebHost } from '../../../src/servers/web/web-host.ts'

/** A transport that records what is sent and lets the test deliver host messages. */
function loopback() {
  const sent: unknown[] = []
  let deliver: (raw: unknown) => void = () => {}
  let status: (s: TransportStatus) => void = () => {}
  const transport: Transport = {
    kind: 'web',
    send: (r) => void sent.push(r),
    onMessage: (l) => void (deliver = l),
    onStatus: (l) => void (status = l),
    close() {},
  }
  return { transport, sent, deliver: (raw: unknown) => deliver(raw), status: (s: TransportStatus) => status(s) }
}

describe('LabClient', () => {
  it('pairs requests with their responses by id', async () => {
    const t = loopback()
    const client = new LabClient(t.transport)
    const a = client.request('stopServer', { id: 's1' })
    const b = client.request('startServer', { model: 'fork' })
    expect(t.sent).toEqual([
      { type: 'request', id: 1, method: 'stopServer', params: { id: 's1' } },
      { type: 'request', id: 2, method: 'startServer', params: { model: 'fork' } },
    ])
    t.deliver({ type: 'response', id: 2, ok: false, error: { code: 'PORT_IN_USE', message: 'port 80 is in use' } })
    t.deliver({ type: 'response', id: 1, ok: true, result: null })
    await expect(a).resolves.toBeNull()
    await expect(b).rejects.toMatchObject({ code: 'PORT_IN_USE', message: 'port 80 is in use' })
  })

  it('drops malformed host messages and says so', () => {
    const t = loopback()
    const client = new LabClient(t.transport)
    const seen: unknown[] = []
    const problems: string[] = []
    client.onMessage((m) => seen.push(m))
    client.onInvalid((p) => problems.push(p))
    t.deliver({ type: 'events', now: 1, events: [{ kind: 'recv', t: 'soon' }] })
    t.deliver('garbage')
    t.deliver({ type: 'events', now: 1, events: [{ kind: 'recv', t: 5, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, bytes: 3 }] })
    expect(problems).toHaveLength(2)
    expect(seen).toEqual([{ type: 'events', now: 1, events: [{ kind: 'recv', t: 5, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, bytes: 3 }] }])
  })

  it('fails pending requests when the connection drops', async () => {
    const t = loopback()
    const client = new LabClient(t.transport)
    const pending = client.request('stopAll', {})
    t.status('closed')
    await expect(pending).rejects.toBeInstanceOf(ApiError)
  })
})

/**
 * fetchRecording against real hosts: Electron's way (chunked readRecording requests over
 * the bridge, here a bridge straight into a real LabService, as main's IPC handler is) and
 * web mode's (a GET of the host's path, token and all), both giving back the file's bytes.
 */
describe('LabClient.fetchRecording', () => {
  let dir: string
  let file: string
  let bytes: Buffer

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-fetch-'))
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html>')
    // Over two chunks, and bytes no text decoding gives back.
    bytes = Buffer.concat([Buffer.from('{"format":"sockscope-trace"}\n\xe2\x82'), crypto.randomBytes(MAX_RECORDING_CHUNK + 777)])
    file = path.join(dir, 'run.ndjson')
    fs.writeFileSync(file, bytes)
  })

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('Electron: chunks of at most 4 MiB through the bridge, put together into the file as it is', async () => {
    const service = new LabService(new Lab({ osSampling: false }), { host: 'electron' })
    try {
      await service.addRecordings([file], { atStart: true })
      const asked: { offset: number; length: number }[] = []
      const bridge: SockscopeBridge = {
        // Through structured clone, as IPC carries it.
        request: async (message) => {
          const m = message as { method: string; params: { offset: number; length: number } }
          if (m.method === 'readRecording') asked.push({ offset: m.params.offset, length: m.params.length })
          return structuredClone(await service.handle(structuredClone(message)))
        },
        subscribe: (listener) => service.attach((m) => listener(structuredClone(m))),
      }
      const client = new LabClient(ipcTransport(bridge))
      expect(client.resourceUrl('/anything')).toBeNull()
      const blob = await client.fetchRecording(0)
      expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true)
      expect(asked).toEqual([
        { offset: 0, length: MAX_RECORDING_CHUNK },
        { offset: MAX_RECORDING_CHUNK, length: MAX_RECORDING_CHUNK },
      ])
      await expect(client.fetchRecording(5)).rejects.toMatchObject({ code: 'BAD_MESSAGE', message: 'no recording 5: this lab lists recordings 0 to 0' })
    } finally {
      await service.dispose()
    }
  })

  it('web mode: one GET of the host’s path with the page’s token', async () => {
    const host = await startWebHost({ rendererDir: dir, host: '0.0.0.0', allowRemote: true, port: 0, recordings: [file] })
    try {
      const web = (socketUrl: string): Transport => ({ kind: 'web', send() {}, onMessage() {}, onStatus() {}, close() {}, resourceUrl: (p) => resourceUrlFor(socketUrl, p) })
      const client = new LabClient(web(`ws://127.0.0.1:${host.port}/api?token=${host.token}`))
      const blob = await client.fetchRecording(0)
      expect(Buffer.from(await blob.arrayBuffer()).equals(bytes)).toBe(true)
      const tokenless = new LabClient(web(`ws://127.0.0.1:${host.port}/api`))
      await expect(tokenless.fetchRecording(0)).rejects.toMatchObject({ code: 'NOT_ALLOWED', message: expect.stringContaining('token') })
      await expect(client.fetchRecording(9)).rejects.toMatchObject({ code: 'TRACE_CORRUPT', message: 'no recording 9: this lab lists recordings 0 to 0' })
    } finally {
      await host.close()
    }
  })
})
