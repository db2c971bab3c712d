import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { AppDocuments, type DocumentPlatform } from '../../../src/servers/web/app-documents.ts'
import { LabService } from '../../../src/servers/web/lab-service.ts'
import { type HostMessage, HostMessageSchema } from '../../../src/servers/web/protocol.ts'
import { RecentDocuments } from '../../../src/servers/web/recent-documents.ts'

/**
 * Electron's File › Open, Open Recent and Save trace, without Electron: a real LabService
 * and a page attached to it; what the native dialogs would answer is given as answers
 * (the person's picks), and the OS's recent list is the calls made to it.
 */

let dir: string
let traces: string[]

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-documents-'))
  traces = ['a.ndjson', 'b.ndjson'].map((name) => path.join(dir, name))
  for (const t of traces) fs.writeFileSync(t, '{"format":"sockscope-trace"}\n')
})

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const services: LabService[] = []
/** Each app its own userData, as on a fresh machine. */
let apps = 0
afterEach(async () => {
  for (const s of services.splice(0)) await s.dispose()
})

async function app(answers: { picks?: string[][]; saveTo?: (string | null)[] } = {}) {
  const service = new LabService(new Lab({ osSampling: false }), { host: 'electron' })
  services.push(service)
  const osRecent: string[] = []
  const platform: DocumentPlatform = {
    pickTraces: async () => answers.picks?.shift() ?? [],
    pickSavePath: async (suggested) => {
      expect(suggested).toMatch(/^sockscope-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.ndjson$/)
      return answers.saveTo?.shift() ?? null
    },
    addRecentDocument: (file) => void osRecent.push(file),
  }
  const recent = await RecentDocuments.load(path.join(dir, `recent-${++apps}.json`))
  const docs = new AppDocuments(service, recent, platform)
  let menuShown = 0
  docs.onRecentChanged(() => menuShown++)
  const messages: HostMessage[] = []
  service.attach((m) => messages.push(HostMessageSchema.parse(JSON.parse(JSON.stringify(m))) as HostMessage))
  return { service, docs, osRecent, messages, menus: () => menuShown }
}

describe('AppDocuments', () => {
  it('File › Open: the picked files are listed, the page is told to open them, and they are recent', async () => {
    const a = await app({ picks: [traces, []] })
    await a.docs.openFromDialog()
    expect(a.messages.at(-1)).toEqual({
      type: 'recordings',
      recordings: [
        { index: 0, name: 'a.ndjson', bytes: fs.statSync(traces[0]!).size },
        { index: 1, name: 'b.ndjson', bytes: fs.statSync(traces[1]!).size },
      ],
      open: [0, 1],
    })
    expect(a.docs.recentFiles()).toEqual(traces)
    expect(a.osRecent).toEqual(traces)
    expect(a.menus()).toBe(1)
    // Cancelled: nothing happens.
    const before = a.messages.length
    await a.docs.openFromDialog()
    expect(a.messages.length).toBe(before)
  })

  it('Open Recent of a file that is gone: the page is told why, and the menu drops it', async () => {
    const gone = path.join(dir, 'gone.ndjson')
    fs.writeFileSync(gone, 'x')
    const a = await app({ picks: [[gone]] })
    await a.docs.openFromDialog()
    fs.rmSync(gone)
    await a.docs.openRecent(gone)
    expect(a.messages.at(-1)).toEqual({ type: 'problem', run: 'app', code: 'BAD_OPTION', message: `cannot read ${gone}: no such file or directory (ENOENT)` })
    expect(a.docs.recentFiles()).toEqual([])
  })

  it('files given at start are in hello, to open at start', async () => {
    const a = await app()
    await a.docs.openAtStart([traces[1]!])
    const later: HostMessage[] = []
    a.service.attach((m) => later.push(m))
    expect(later[0]).toMatchObject({ type: 'hello', openAtStart: true, recordings: [{ index: 0, name: 'b.ndjson' }] })
    expect(a.docs.recentFiles()).toEqual([traces[1]])
  })

  it('Save trace: the session goes where the dialog said; cancelled is null; a failure rejects from a request and is told to the page from the menu', async () => {
    const file = path.join(dir, 'saved.ndjson')
    const a = await app({ saveTo: [file, null, '/dev/full', '/dev/full'] })
    expect(await a.docs.save()).toEqual({ path: file, events: a.service.recorded().count })
    expect((await readTrace(file)).header).toMatchObject({ version: 2, ended: 'clean', originNs: String(a.service.lab.clock.originNs) })
    expect(a.docs.recentFiles()).toEqual([file])
    expect(await a.docs.save()).toBeNull()
    await expect(a.docs.save()).rejects.toMatchObject({ code: 'TRACE_WRITE_FAILED' })
    await a.docs.saveFromMenu()
    expect(a.messages.at(-1)).toMatchObject({ type: 'problem', code: 'TRACE_WRITE_FAILED', message: expect.stringContaining('/dev/full: no space left on device (ENOSPC)') })
  })
})
