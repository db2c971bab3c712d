import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DrawnLane, DrawnSnapshot } from '../../src/renderer/timeline/drawn.ts'
import { type BrowserPage, drawnTimeline, failOnPageErrors, haveChromium, openPage, painted, screenshot, startWeb, until, type WebHost } from './browser.ts'

/**
 * The replay (issue 11): one playhead that every panel shows. A real fork run (the demo:
 * seed 003's forking server, 5 s of work, 8 clients) is recorded live in web mode; then the
 * playhead is moved back into it: while the children serve, the process table lists them
 * sleeping; after they exited, zombies until reaped; back again, the same table as before.
 * Keys step, change speed, jump to markers and play. Screenshots: test-results/e2e/replay-*.png.
 */

let web: WebHost
let browser: BrowserPage
let page: Page

interface Hook {
  timeline(): DrawnSnapshot | null
  seek(us: number): void
  playhead(): number
}
const timeline = async (): Promise<DrawnSnapshot> => (await drawnTimeline(page))!
const seek = (us: number) => page.evaluate((t) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.seek(t), us)
const playhead = () => page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.playhead())

/** The process table's rows of children: pid → state. */
const children = (): Promise<Record<string, string>> =>
  page.$$eval('[data-testid=proc-row][data-kind=child]', (rows) => Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.pid!, (r as HTMLElement).dataset.state!])))
const childLanes = async (): Promise<DrawnLane[]> => (await timeline()).lanes.filter((l) => l.kind === 'process' && l.pid !== null && l.phases.some((p) => p.kind === 'zombie' || p.kind === 'sleeping'))

describe.skipIf(!haveChromium)('the replay: every panel at the playhead', () => {
  beforeAll(async () => {
    web = await startWeb()
    browser = await openPage(web.url)
    page = browser.page
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await web?.stop()
  })
  failOnPageErrors(() => browser)

  it('records a live fork run, then shows the children sleeping, zombies, and the same again going back', async () => {
    await page.getByTestId('run-demo').click()
    // Every connection served and closed; every child exited.
    const snap = await until(
      'the 8 connections closed and their children exited',
      timeline,
      (s) => s.lanes.filter((l) => l.kind === 'conn' && l.serverCloseT !== null).length === 8,
      40_000,
    )
    expect(snap.lanes.filter((l) => l.kind === 'conn')).toHaveLength(8)
    await until('8 child lanes with their exits', childLanes, (ls) => ls.length === 8 && ls.every((l) => l.phases.some((p) => p.kind === 'zombie')))
    // The run over (the server stopped): the recording is whole, and the view shows all of it.
    await page.getByTestId('stop-all').click()
    await until('nothing running', () => page.getByTestId('stop-all').isDisabled(), (off) => off)
    const lanes = await childLanes()

    // While they serve: each child sleeps in time.sleep(5).
    const sleeps = lanes.map((l) => l.phases.find((p) => p.kind === 'sleeping' && p.on === 'sleep')!)
    expect(sleeps.every(Boolean)).toBe(true)
    const serving = (Math.max(...sleeps.map((p) => p.start)) + Math.min(...sleeps.map((p) => p.end!))) / 2
    await seek(serving)
    expect(await playhead()).toBeCloseTo(serving, 3)
    const whileServing = await until('8 children sleeping at the playhead', children, (c) => Object.values(c).filter((s) => s === 'sleeping').length === 8)
    const drawn = await until('the playhead drawn where it was put', timeline, (s) => !s.playheadFollowing && Math.abs(s.playhead - serving) < 1)
    expect(drawn.playing).toBe(false)
    // The log dims what has not happened yet.
    expect(await page.locator('[data-testid=log-row][data-future=true]').count()).toBeGreaterThan(0)
    await painted(page)
    await screenshot(page, 'replay-01-paused-mid-run.png')

    // After every child exited and before any reap: zombies (reaped on the next accept, which has not come).
    const zombies = lanes.map((l) => l.phases.find((p) => p.kind === 'zombie')!)
    const allExited = Math.max(...zombies.map((p) => p.start)) + 1
    const firstReap = Math.min(...zombies.map((p) => p.end ?? Number.POSITIVE_INFINITY))
    expect(allExited).toBeLessThan(firstReap)
    await seek(allExited)
    await until('8 zombies at the playhead', children, (c) => Object.values(c).filter((s) => s === 'zombie').length === 8)
    await screenshot(page, 'replay-02-zombies.png')

    // Back: the same table as the first time.
    await seek(serving)
    expect(await until('the table as it was', children, (c) => JSON.stringify(c) === JSON.stringify(whileServing))).toEqual(whileServing)
  }, 90_000)

  it('steps, changes speed, jumps to markers and plays by keyboard', async () => {
    const start = await playhead()
    await page.getByTestId('timeline').focus()
    await page.keyboard.press('ArrowRight')
    const next = await until('a step forward', playhead, (t) => t > start)
    await page.keyboard.press('ArrowLeft')
    await until('a step back to where it was', playhead, (t) => t <= start && t < next)

    await page.keyboard.press(']')
    expect((await until('2× speed', timeline, (s) => s.speed === 2)).speed).toBe(2)
    await page.keyboard.press('[')
    await page.keyboard.press('[')
    await until('0.5× speed', timeline, (s) => s.speed === 0.5)

    // Markers: forks, exits, zombies… jumping lands on one of them.
    const { markers } = await timeline()
    expect(markers).toBeGreaterThanOrEqual(8 * 2)
    await seek(0)
    await page.keyboard.press('Shift+ArrowRight')
    const firstMarker = await until('the first marker', playhead, (t) => t > 0)
    const accepts = (await timeline()).lanes.filter((l) => l.kind === 'conn').map((l) => l.acceptT!)
    expect(firstMarker).toBeCloseTo(Math.min(...accepts), 3)

    // Space plays: the playhead moves on by itself, and space pauses it.
    await page.keyboard.press(' ')
    await until('playing', timeline, (s) => s.playing)
    const moving = await until('the playhead moving', playhead, (t) => t > firstMarker)
    await page.keyboard.press(' ')
    const paused = await until('paused', timeline, (s) => !s.playing)
    expect(paused.playhead).toBeGreaterThanOrEqual(moving)
    const held = await playhead()
    await painted(page)
    expect(await playhead()).toBe(held)
  }, 60_000)
})
