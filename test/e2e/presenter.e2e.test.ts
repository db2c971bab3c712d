import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { DrawnSnapshot } from '../../src/renderer/timeline/drawn.ts'
import { recordForkRun } from '../helpers/cli.ts'
import { drawnTimeline, haveChromium, painted, screenshot, until, useLabPage } from './browser.ts'

/**
 * The presenter view (issue 14), at the size of a 1280×720 screencast, on a fork run the
 * CLI recorded (seed 003: three children that sleep, exit, and stay zombies until the next
 * accept reaps them): P and the button toggle it; the caption at a seeked playhead is the
 * rule's sentence; a selected connection dims the rest; a note added at an instant is the
 * caption there, saved in the trace file and shown again when it is reopened.
 * Screenshots: test-results/e2e/presenter-*.png.
 */

interface Hook {
  seek(us: number): void
  presenter(on?: boolean): boolean
  caption(): { text: string; kind: string } | null
}
let page: Page
const seek = (us: number) => page.evaluate((t) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.seek(t), us)
const presenterOn = () => page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.presenter())
const caption = () => page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.caption())
const captionText = () => page.getByTestId('caption').innerText()
const timeline = async (): Promise<DrawnSnapshot> => (await drawnTimeline(page))!

describe.skipIf(!haveChromium)('the presenter view on a recorded fork run', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-presenter-e2e-'))
  const serverTrace = path.join(tmp, 'fork-server.ndjson')
  const clientTrace = path.join(tmp, 'clients.ndjson')

  useLabPage(
    {
      before: async () => {
        await recordForkRun({ serverTrace, clientTrace }, { clients: 3, delaySeconds: 0.3 })
      },
      files: () => [serverTrace, clientTrace],
      waitForLab: false,
      after: () => rmSync(tmp, { recursive: true, force: true }),
      timeoutMs: 60_000,
    },
    (lab) => ({ page } = lab),
  )

  it('toggles by P and the button; narrates the zombies at the playhead; spotlights a connection; a note survives save and reopen', async () => {
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.getByTestId('recording-banner').waitFor()
    const snap = await until('a lane per connection', timeline, (s) => s.lanes.filter((l) => l.kind === 'conn').length === 4)
    const zombies = snap.lanes.flatMap((l) => (l.kind === 'process' ? l.phases.filter((p) => p.kind === 'zombie') : []))
    expect(zombies.length).toBeGreaterThanOrEqual(3)
    const firstExit = Math.min(...zombies.map((p) => p.start))

    // At a screencast's width the top bar holds everything on one row, nothing drawn over anything else.
    const bar = await page.$$eval('.topbar > *', (els) => els.map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0).map((r) => ({ left: r.left, right: r.right })))
    for (let i = 1; i < bar.length; i++) expect(bar[i]!.left, `top bar item ${i}`).toBeGreaterThanOrEqual(bar[i - 1]!.right)
    expect(bar.at(-1)!.right).toBeLessThanOrEqual(1280)
    await screenshot(page, 'presenter-00-recording-1280.png')

    // P turns it on: the controls and the log fold away; the title card names model, app and workload.
    await page.keyboard.press('p')
    await page.getByTestId('title-card').waitFor()
    expect(await page.getByTestId('log-count').isVisible()).toBe(false)
    expect(await presenterOn()).toBe(true)
    expect(await page.getByTestId('title-card').innerText()).toMatch(/fork server[\s\S]*echo-time[\s\S]*burst · 3 clients/)

    // The caption at the first child's exit: the rule's sentence (one child, or the burst of them).
    await seek(firstExit)
    const zombieCaption = /^(Child \d+ has exited; it stays|\d children exit within [\d.]+ (µs|ms|s); each stays) a zombie until the server's next accept reaps it$/
    await until('the exit caption', captionText, (t) => zombieCaption.test(t))
    expect((await caption())!.text).toBe(await captionText())
    await screenshot(page, 'presenter-01-zombies.png')
    // The process table fits its third of a 1280×720 frame: the kernel's letter and memory
    // beside the model's state, nothing cut off at the right (its head's counts neither).
    expect(await page.$$eval('[data-testid=process-table] thead tr:last-child th', (ths) => ths.map((th) => th.textContent))).toEqual(['PID', 'PPID', 'S', 'STATE', 'S', 'RSS'])
    const overflow = await page.evaluate(() => [...document.querySelectorAll('.procs .scroll, .procs .panel-head')].map((el) => el.scrollWidth - el.clientWidth))
    expect(overflow).toEqual([0, 0])
    // The timeline draws a fifth larger for the video (its text 15 px, not 12.5).
    expect((await timeline()).drawScale).toBe(1.2)

    // Spotlight: a child's row selects its connection; every lane not of it is drawn dimmed.
    await page.locator('[data-testid=proc-row][data-kind=child]').first().click()
    const lit = await until('the spotlight', timeline, (s) => s.selectedConn !== null && s.lanes.some((l) => l.dimmed))
    expect(lit.lanes.filter((l) => l.kind === 'conn' && !l.dimmed).map((l) => l.conn)).toEqual([lit.selectedConn])
    await screenshot(page, 'presenter-02-spotlight.png')

    // A note at an instant after the exits, added in the caption bar.
    const noteAt = firstExit + 50_000
    await seek(noteAt)
    await page.getByTestId('note-start').click()
    await page.getByTestId('note-text').fill('watch the zombies wait for the next accept')
    await page.getByTestId('note-add').click()
    await until('the note as the caption', captionText, (t) => t === 'watch the zombies wait for the next accept')
    await screenshot(page, 'presenter-03-note.png')

    // The button leaves it (and the window API says so); Save trace writes the note; reopened, it is the caption there again.
    await page.getByTestId('presenter-toggle').click()
    expect(await presenterOn()).toBe(false)
    await until('the timeline drawn at its own size again', timeline, (s) => s.drawScale === 1)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-trace').click()])
    const saved = path.join(tmp, 'noted.ndjson')
    await download.saveAs(saved)
    await page.getByTestId('open-trace').setInputFiles([saved])
    await until('the saved recording', timeline, (s) => s.lanes.filter((l) => l.kind === 'conn').length === 4 && s.selectedConn === null)
    await page.getByTestId('presenter-toggle').click()
    await page.getByTestId('title-card').waitFor()
    await seek(noteAt + 1000)
    await until('the reopened note as the caption', captionText, (t) => t === 'watch the zombies wait for the next accept')
    await painted(page)
  }, 40_000)
})
