import { describe, expect, it } from 'vitest'
import { checkVideoForm, clock, defaultVideoForm, etaSeconds, pictureAsk } from '../../../src/renderer/export/export-form.ts'
import { exportFileName, parseExportAsk } from '../../../src/servers/render/export-ask.ts'

const span = { start: 400_000, end: 10_400_000, loop: null }
const now = { speed: 1, captions: false, theme: 'dark' as const }

describe('Export video… fields', () => {
  it('default to the whole recording, or to the loop range when one is set, counted from the first event', () => {
    expect(defaultVideoForm(span, now)).toEqual({ from: 0, to: 10, speed: 1, size: '1280x720', fps: 30, captions: false, theme: 'dark', format: 'mp4' })
    expect(defaultVideoForm({ ...span, loop: { from: 1_400_000, to: 3_900_000 } }, { ...now, speed: 0.5, captions: true })).toMatchObject({ from: 1, to: 3.5, speed: 0.5, captions: true })
  })

  it('ask what sockscope render would be asked, and refuse what it refuses, in the dialog’s own field names', () => {
    const ok = checkVideoForm({ ...defaultVideoForm(span, now), from: 1, to: 8, speed: 0.5 }, span)
    expect(ok).toMatchObject({ ok: true, plan: { frames: 420, durationS: 14 }, ask: { kind: 'video', width: 1280, height: 720, fps: 30, from: 1, to: 8 } })
    if (ok.ok) expect(parseExportAsk(ok.ask)).toEqual(ok.ask)
    expect(checkVideoForm({ ...defaultVideoForm(span, now), from: 5, to: 2 }, span)).toEqual({ ok: false, message: 'To (2 s) must be after From (5 s)' })
    expect(checkVideoForm({ ...defaultVideoForm(span, now), speed: 0 }, span)).toMatchObject({ ok: false, message: expect.stringMatching(/^Speed must be a number/) })
  })

  it('make a PNG ask of the view as it is: the page’s size, the playhead, the window', () => {
    const ask = pictureAsk({ width: 1280, height: 720 }, span, 2_400_000, { start: 0, end: 5e6 }, { captions: true, theme: 'light' })
    expect(ask).toEqual({ kind: 'png', width: 1280, height: 720, scale: 2, at: 2, view: { start: 0, end: 5e6 }, captions: true, theme: 'light' })
    expect(exportFileName('fork-server.ndjson', ask)).toBe('fork-server-at-2s.png')
    expect(() => parseExportAsk({ ...ask, width: 100 })).toThrow(/sides from 320 to 3840 px, not 100×720/)
  })

  it('count the time left from the frames drawn since the first', () => {
    expect(etaSeconds(1, 300, 0)).toBeNull()
    expect(etaSeconds(11, 301, 1000)).toBe(29)
    expect(clock(29)).toBe('0:29')
    expect(clock(3723)).toBe('1:02:03')
  })
})
