import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportForApp } from '../../../src/servers/render/export-job.ts'
import type { ExportLine } from '../../../src/servers/web/protocol.ts'

/**
 * Electron's Export video… / Export PNG without Electron: what main's handler calls (the
 * ask checked, the save dialog, the render, its lines). The renders themselves run in
 * test/e2e/export.e2e.test.ts and test/servers/cli/render.test.ts.
 */

const trace = new TextEncoder().encode('{"format":"sockscope-trace","version":2,"createdAt":"2026-12-02T00:00:00.000Z","originNs":"0","command":"test","ended":"clean"}\n')
const video = { kind: 'video', format: 'webm', width: 1280, height: 720, fps: 30, speed: 0.5, from: 1, to: 2, captions: true, theme: 'light' }

describe("the app's export, as Electron's main runs it", () => {
  it('proposes a name from the recording and what of it, and renders nothing when the save dialog is cancelled', async () => {
    const asked: string[] = []
    const lines: ExportLine[] = []
    const answer = await exportForApp(video, trace, 'fork-server.ndjson', { pickSavePath: async (name) => (asked.push(name), null) }, (l) => lines.push(l))
    expect(answer).toEqual({ ok: true, result: null })
    expect(asked).toEqual(['fork-server-1-2s.webm'])
    expect(lines).toEqual([])
  })

  it('answers a bad ask, an empty recording and a missing ffmpeg with their codes, and leaves no file', async () => {
    const never = { pickSavePath: async () => expect.unreachable('no dialog for a refused ask') as never }
    expect(await exportForApp({ ...video, fps: 'fast' }, trace, 'x', never, () => {})).toMatchObject({ ok: false, error: { code: 'BAD_OPTION', message: expect.stringMatching(/^the export's fps is wrong/) } })
    expect(await exportForApp(video, new Uint8Array(), 'x', never, () => {})).toMatchObject({ ok: false, error: { code: 'BAD_OPTION', message: 'the export carried no recording' } })

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-export-job-'))
    // (An MP4: a WebM needs no ffmpeg.)
    const out = path.join(dir, 'video.mp4')
    const saved = process.env.PATH
    process.env.PATH = path.dirname(process.execPath)
    try {
      const lines: ExportLine[] = []
      const answer = await exportForApp({ ...video, format: 'mp4' }, trace, 'x', { pickSavePath: async () => out }, (l) => lines.push(l))
      expect(answer).toMatchObject({ ok: false, error: { code: 'ENCODER_MISSING', message: expect.stringMatching(/apt-get install ffmpeg/) } })
      expect(lines).toEqual([{ type: 'phase', phase: 'opening' }])
      expect(fs.readdirSync(dir)).toEqual([])
    } finally {
      process.env.PATH = saved
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
