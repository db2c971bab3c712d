import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createPinia, setActivePinia } from 'pinia'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { SockscopeBridge } from '../../../src/preload/api.ts'
import { ipcTransport } from '../../../src/renderer/api/ipc-transport.ts'
import { LabClient } from '../../../src/renderer/api/lab-client.ts'
import { useLabStore } from '../../../src/renderer/stores/lab.ts'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { LabService } from '../../../src/servers/web/lab-service.ts'
import type { HostMessage } from '../../../src/servers/web/protocol.ts'
import { writeSessionTrace } from '../../../src/servers/web/session-trace.ts'

/**
 * The lab store's side of recordings, against a real LabService behind the page's real
 * IPC transport (the bridge goes straight into the service, as main's handler does): what
 * the page is asked to open, and Save trace in Electron. The web mode's download is an
 * <a download> click, which needs a browser (the e2e tests' part).
 */

let dir: string
let files: string[]

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-lab-store-'))
  files = ['server.ndjson', 'clients.ndjson'].map((name) => path.join(dir, name))
  for (const f of files) fs.writeFileSync(f, '{"format":"sockscope-trace"}\n')
})

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const services: LabService[] = []
afterEach(async () => {
  for (const s of services.splice(0)) await s.dispose()
})

function electronHost(saveTo?: string) {
  const service: LabService = new LabService(new Lab({ osSampling: false }), {
    host: 'electron',
    saveTrace: saveTo ? () => writeSessionTrace(service.recorded(), saveTo) : undefined,
  })
  services.push(service)
  return service
}

/** A page connected to the service: its lab store, with the wiring's routing of hello and the messages it leaves to the store. */
function page(service: LabService) {
  const lab = useLabStore()
  const bridge: SockscopeBridge = {
    request: async (message) => structuredClone(await service.handle(structuredClone(message))),
    subscribe: (listener) => service.attach((m) => listener(structuredClone(m))),
  }
  const client = new LabClient(ipcTransport(bridge))
  const seen: HostMessage[] = []
  client.onMessage((m) => {
    seen.push(m)
    if (m.type === 'hello') lab.applyHello(m)
    else lab.applyMessage(m)
  })
  lab.attach(client)
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10))
    expect(condition()).toBe(true)
  }
  return { lab, client, seen, until }
}

describe('the lab store: recordings', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('is asked to open the files the host started with, once per lab, not again on a reconnection', async () => {
    const service = electronHost()
    await service.addRecordings(files, { atStart: true })
    const p = page(service)
    await p.until(() => p.lab.openRequest !== null)
    expect(p.lab.recordings.map((r) => r.name)).toEqual(['server.ndjson', 'clients.ndjson'])
    expect(p.lab.openRequest).toEqual({ indices: [0, 1], serial: expect.any(Number) })
    const first = p.lab.openRequest!.serial
    // The same lab greets the page again (a reconnection after going back to live): nothing to open anew.
    const hello = p.seen.find((m) => m.type === 'hello') as Extract<HostMessage, { type: 'hello' }>
    p.lab.applyHello(hello)
    expect(p.lab.openRequest!.serial).toBe(first)
  })

  it('is asked to open what File › Open added, and only that', async () => {
    const service = electronHost()
    const p = page(service)
    await p.until(() => p.seen.some((m) => m.type === 'hello'))
    expect(p.lab.recordings).toEqual([])
    expect(p.lab.openRequest).toBeNull()
    await service.addRecordings([files[1]!])
    await p.until(() => p.lab.openRequest !== null)
    expect(p.lab.openRequest!.indices).toEqual([0])
    const before = p.lab.openRequest!.serial
    // The same file opened again is a new ask for the same index.
    await service.addRecordings([files[1]!, files[0]!])
    await p.until(() => p.lab.openRequest!.serial !== before)
    expect(p.lab.openRequest!.indices).toEqual([0, 1])
    expect(p.lab.recordings.map((r) => r.index)).toEqual([0, 1])
    const blob = await p.lab.fetchRecording(1)
    expect(await blob.text()).toBe(fs.readFileSync(files[0]!, 'utf8'))
  })

  it('reports a recording it cannot fetch, and rejects', async () => {
    const service = electronHost()
    const p = page(service)
    await p.until(() => p.seen.some((m) => m.type === 'hello'))
    await expect(p.lab.fetchRecording(3)).rejects.toMatchObject({ code: 'BAD_MESSAGE' })
    expect(p.lab.problems.at(-1)).toMatchObject({ code: 'BAD_MESSAGE', message: 'no recording 3: this lab lists none' })
  })
})

describe('the lab store: Save trace in Electron', () => {
  beforeEach(() => setActivePinia(createPinia()))

  it('asks the host, which writes the session where its dialog said', async () => {
    const file = path.join(dir, 'saved.ndjson')
    const service = electronHost(file)
    const p = page(service)
    await p.until(() => p.seen.some((m) => m.type === 'hello'))
    await p.lab.saveTrace()
    const trace = await readTrace(file)
    expect(trace.header).toMatchObject({ version: 2, ended: 'clean', originNs: String(service.lab.clock.originNs) })
    expect(trace.header.command).toMatch(/^sockscope app: the lab's live session/)
  })

  it('shows TRACE_WRITE_FAILED when the file cannot be written', async () => {
    const service = electronHost('/dev/full')
    const p = page(service)
    await p.until(() => p.seen.some((m) => m.type === 'hello'))
    await expect(p.lab.saveTrace()).rejects.toMatchObject({ code: 'TRACE_WRITE_FAILED' })
    expect(p.lab.problems.at(-1)).toMatchObject({ code: 'TRACE_WRITE_FAILED', message: expect.stringContaining('no space left on device') })
  })
})
