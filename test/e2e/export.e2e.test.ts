import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { recordForkRun } from '../helpers/cli.ts'
import { haveChromium, screenshot, SHOTS, until, useLabPage } from './browser.ts'

/**
 * Export video… and Export PNG (issue 14) in web mode, on a recorded fork run: the dialog's
 * fields, the host rendering with `sockscope render`'s engine while the dialog counts the
 * frames, and the downloaded files as ffprobe and the PNG's header read them.
 * Screenshots: test-results/e2e/export-*.png.
 */

const haveFfmpeg = existsSync('/usr/bin/ffmpeg') && existsSync('/usr/bin/ffprobe')
let page: Page

describe.skipIf(!haveChromium || !haveFfmpeg)('exporting a recorded run from the app', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-export-e2e-'))
  const serverTrace = path.join(tmp, 'fork-server.ndjson')
  const clientTrace = path.join(tmp, 'clients.ndjson')

  useLabPage(
    {
      before: () => recordForkRun({ serverTrace, clientTrace }, { clients: 3, delaySeconds: 0.3 }),
      files: () => [serverTrace, clientTrace],
      waitForLab: false,
      after: () => rmSync(tmp, { recursive: true, force: true }),
      timeoutMs: 60_000,
    },
    (lab) => ({ page } = lab),
  )

  it('Export video… renders the range asked: 1280×720 at 30 fps, lasting range / speed, with progress in the dialog', async () => {
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.getByTestId('recording-banner').waitFor()
    await page.getByTestId('export').click()
    await page.getByTestId('export-video').click()
    const dialog = page.getByTestId('export-dialog')
    await dialog.waitFor()
    // The whole recording by default, at the replay's speed.
    expect(Number(await page.getByTestId('export-from').inputValue())).toBe(0)
    expect(Number(await page.getByTestId('export-to').inputValue())).toBeGreaterThan(1)
    await screenshot(page, 'export-01-dialog.png')

    // A range the CLI would refuse is refused here, in its words.
    await page.getByTestId('export-from').fill('2')
    await page.getByTestId('export-to').fill('1')
    await expect.poll(() => page.getByTestId('export-invalid').innerText()).toMatch(/To \(1 s\) must be after From \(2 s\)/)
    expect(await page.getByTestId('export-start').isDisabled()).toBe(true)
    await screenshot(page, 'export-02-refused.png')

    // 0.5 s of the run at half speed: a 1 s video, 30 frames.
    await page.getByTestId('export-from').fill('0.5')
    await page.getByTestId('export-to').fill('1')
    await page.getByTestId('export-speed').fill('0.5')
    await page.getByTestId('export-size').selectOption('1280x720')
    await page.getByTestId('export-fps').selectOption('30')
    await page.getByTestId('export-format').selectOption('mp4')
    expect(await page.getByTestId('export-summary').innerText()).toBe('30 frames · the video lasts 1.00 s')
    const downloaded = page.waitForEvent('download', { timeout: 120_000 })
    await page.getByTestId('export-start').click()
    await page.getByTestId('export-progress').waitFor()
    await screenshot(page, 'export-03-progress.png')
    const download = await downloaded
    expect(download.suggestedFilename()).toBe('fork-server-0.5-1s.mp4')
    const file = path.join(tmp, 'export.mp4')
    await download.saveAs(file)
    await page.getByTestId('export-done').waitFor()
    expect(await page.getByTestId('export-done').innerText()).toMatch(/Downloaded fork-server-0\.5-1s\.mp4: 30 frames, \d+(\.\d)? (kB|MB)\./)
    await screenshot(page, 'export-04-done.png')

    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height,r_frame_rate:format=duration', '-of', 'json', file], { encoding: 'utf8' })) as {
      streams: { codec_name: string; width: number; height: number; r_frame_rate: string }[]
      format: { duration: string }
    }
    expect(probe.streams[0]).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, r_frame_rate: '30/1' })
    expect(Math.abs(Number(probe.format.duration) - 1)).toBeLessThanOrEqual(1 / 30)

    await page.getByTestId('export-cancel').click()
    expect(await dialog.count()).toBe(0)
  }, 150_000)

  it('Export PNG is the view at the playhead at 2× pixel ratio: 2560×1440 from a 1280×720 window', async () => {
    const downloaded = page.waitForEvent('download', { timeout: 90_000 })
    await page.getByTestId('export').click()
    await page.getByTestId('export-png').click()
    // A failed export is a problem toast: fail with its words rather than wait for a download that will not come.
    const failed = page
      .getByTestId('problem')
      .first()
      .waitFor({ timeout: 90_000 })
      .then(async () => {
        throw new Error(`the export failed: ${await page.getByTestId('problem').first().innerText()}`)
      })
    const download = await Promise.race([downloaded, failed])
    failed.catch(() => {})
    expect(download.suggestedFilename()).toMatch(/^fork-server-at-[\d.]+s\.png$/)
    const file = path.join(SHOTS, 'export-05-view.png')
    await download.saveAs(file)
    const ihdr = readFileSync(file).subarray(16, 24)
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([2560, 1440])
  }, 120_000)

  it('K shows the keys pressed and a ripple at each click, for screencasts; off by default, and off again with K', async () => {
    const indicator = page.getByTestId('key-indicator')
    expect(await indicator.count()).toBe(0)
    await page.keyboard.press('k')
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('Shift+ArrowLeft')
    await expect.poll(() => indicator.innerText()).toMatch(/^K\s+→\s*×2\s+⇧←$/)
    // A ripple lives half a second: note where each one is drawn as it comes.
    await page.evaluate(() => {
      const seen: { left: string; top: string }[] = ((globalThis as unknown as { ripples: unknown[] }).ripples = [])
      new MutationObserver((changes) => {
        for (const c of changes) for (const n of c.addedNodes) if (n instanceof HTMLElement && n.dataset.testid === 'click-ripple') seen.push({ left: n.style.left, top: n.style.top })
      }).observe(document.body, { childList: true, subtree: true })
    })
    const box = (await page.getByTestId('fit').boundingBox())!
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
    const ripples = await until('a ripple', () => page.evaluate(() => (globalThis as unknown as { ripples: { left: string; top: string }[] }).ripples), (r) => r.length > 0)
    expect(ripples).toHaveLength(1)
    expect(Math.abs(parseFloat(ripples[0]!.left) - (box.x + box.width / 2))).toBeLessThanOrEqual(1)
    expect(Math.abs(parseFloat(ripples[0]!.top) - (box.y + box.height / 2))).toBeLessThanOrEqual(1)
    await screenshot(page, 'export-06-key-indicators.png')
    await page.keyboard.press('k')
    expect(await indicator.count()).toBe(0)
  })
})
