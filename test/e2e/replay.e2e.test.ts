import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { DrawnLane, DrawnSnapshot } from '../../src/renderer/timeline/drawn.ts'
import { cli, recordForkRun } from '../helpers/cli.ts'
import { drawnTimeline, haveChromium, painted, screenshot, until, useLabPage } from './browser.ts'

/**
 * The replay (issue 11): one playhead that every panel shows. A real fork run (the demo:
 * seed 003's forking server, 5 s of work, 8 clients) is recorded live in web mode; then the
 * playhead is moved back into it: while the children serve, the process table lists them
 * sleeping; after they exited, zombies until reaped; back again, the same table as before.
 * Keys step, change speed, jump to markers and play. The same on a run recorded by the CLI
 * and opened from its files (`sockscope web FILE...`), whose zombies a later accept reaps;
 * saved and opened again through the file input, it draws the same lanes. Screenshots: test-results/e2e/replay-*.png.
 */

let page: Page

interface Hook {
  timeline(): DrawnSnapshot | null
  seek(us: number): void
  playhead(): number
  note(text: string, us?: number): void
  presenter(on?: boolean): boolean
  caption(): { text: string } | null
}
const timeline = async (): Promise<DrawnSnapshot> => (await drawnTimeline(page))!
const seek = (us: number) => page.evaluate((t) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.seek(t), us)
const playhead = () => page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.playhead())
const addNote = (text: string, us: number) => page.evaluate(([t, u]) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.note(t, u), [text, us] as const)
const presenter = (on: boolean) => page.evaluate((o) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.presenter(o), on)
const caption = () => page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.caption()?.text ?? '')

/** The process table's rows of children: pid → state. */
const children = (): Promise<Record<string, string>> =>
  page.$$eval('[data-testid=proc-row][data-kind=child]', (rows) => Object.fromEntries(rows.map((r) => [(r as HTMLElement).dataset.pid!, (r as HTMLElement).dataset.state!])))
/** A lane without its place on screen (which the scroll changes): what it shows. */
const picture = (lanes: DrawnLane[]) => lanes.map(({ key, kind, label, sublabel, phases, marks, acceptT, serverCloseT, clientCloseT, closes }) => ({ key, kind, label, sublabel, phases, marks, acceptT, serverCloseT, clientCloseT, closes }))
const childLanes = async (): Promise<DrawnLane[]> => (await timeline()).lanes.filter((l) => l.kind === 'process' && l.pid !== null && l.phases.some((p) => p.kind === 'zombie' || p.kind === 'sleeping'))

describe.skipIf(!haveChromium)('the replay: every panel at the playhead', () => {
  useLabPage({ waitForLab: false, timeoutMs: 60_000 }, (lab) => ({ page } = lab))

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

  it("keeps a note made on the live session in the lab: a reload shows it again, and Save trace writes it", async () => {
    const firstAccept = Math.min(...(await timeline()).lanes.filter((l) => l.kind === 'conn').map((l) => l.acceptT!))
    await addNote('the first client is accepted', firstAccept)
    await page.reload()
    await until('the live session again', timeline, (s) => s.lanes.filter((l) => l.kind === 'conn').length === 8)
    await seek(firstAccept + 1)
    await presenter(true)
    await until('the note as the caption', caption, (t) => t === 'the first client is accepted')
    await presenter(false)
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-trace').click()])
    const lines = readFileSync((await saved.path())!, 'utf8').split('\n')
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 3 })
    expect(JSON.parse(lines[1]!)).toEqual({ record: 'note', t: firstAccept, text: 'the first client is accepted' })
  }, 60_000)
})

describe.skipIf(!haveChromium)('the replay of a recorded run, opened from its files', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-replay-e2e-'))
  const serverTrace = path.join(tmp, 'fork-server.ndjson')
  const clientTrace = path.join(tmp, 'clients.ndjson')

  useLabPage(
    {
      before: async () => {
        // Seed 003's forking server, recorded by the CLI: 3 clients whose children sleep 0.5 s
        // and stay zombies until the 4th client's accept reaps them (reap=on-accept).
        await recordForkRun({ serverTrace, clientTrace }, { clients: 3, delaySeconds: 0.5 })
      },
      // Opened as a person would from the command line: sockscope web FILE...
      files: () => [serverTrace, clientTrace],
      waitForLab: false,
      after: () => rmSync(tmp, { recursive: true, force: true }),
      timeoutMs: 90_000,
    },
    (lab) => ({ page } = lab),
  )

  it('opens with both files loaded (sockscope web FILE...); children sleeping, then zombies until the next accept reaps them, and back; saved and reopened, the same lanes', async () => {
    await page.getByTestId('recording-banner').waitFor()
    expect(await page.getByTestId('recording-summary').innerText()).toMatch(/^fork-server\.ndjson \+ clients\.ndjson · /)
    const snap = await until('a lane per connection', timeline, (s) => s.lanes.filter((l) => l.kind === 'conn').length === 4)
    const conns = snap.lanes.filter((l) => l.kind === 'conn')
    expect(conns.every((l) => l.serverCloseT !== null)).toBe(true)
    // The first burst's 3 children (the 4th client's child exits last, reaped when the server stops).
    const lanes = await until('the children with their zombie phases', childLanes, (ls) => ls.filter((l) => l.phases.some((p) => p.kind === 'zombie')).length >= 3)
    const kids = lanes.filter((l) => l.phases.some((p) => p.kind === 'zombie')).sort((a, b) => a.phases[0]!.start - b.phases[0]!.start).slice(0, 3)

    const sleeps = kids.map((l) => l.phases.find((p) => p.kind === 'sleeping' && p.on === 'sleep')!)
    const serving = (Math.max(...sleeps.map((p) => p.start)) + Math.min(...sleeps.map((p) => p.end!))) / 2
    await seek(serving)
    const whileServing = await until('3 children sleeping, the 4th not forked yet', children, (c) => Object.keys(c).length === 3 && Object.values(c).every((st) => st === 'sleeping'))
    await screenshot(page, 'replay-03-recording-serving.png')

    const zombies = kids.map((l) => l.phases.find((p) => p.kind === 'zombie')!)
    const reapT = Math.min(...zombies.map((p) => p.end!))
    const exitedT = Math.max(...zombies.map((p) => p.start))
    expect(exitedT).toBeLessThan(reapT)
    await seek((exitedT + reapT) / 2)
    await until('3 zombies, not yet reaped', children, (c) => Object.keys(c).length === 3 && Object.values(c).every((st) => st === 'zombie'))
    await seek(reapT + 1)
    await until('reaped on the next accept', children, (c) => kids.every((l) => c[String(l.pid)] === 'reaped'))
    await seek(serving)
    expect(await until('the table as it was', children, (c) => JSON.stringify(c) === JSON.stringify(whileServing))).toEqual(whileServing)

    // The keys on a recording: a marker jump lands on the reap; a step back from it is the event before.
    await seek(reapT - 1)
    await page.keyboard.press('Shift+ArrowRight')
    expect(await until('the reap marker', playhead, (t) => t > reapT - 1)).toBeCloseTo(reapT, 3)
    await page.keyboard.press('ArrowLeft')
    expect(await until('one event back', playhead, (t) => t < reapT)).toBeLessThan(reapT)

    // Save trace, then open the saved file: the same lanes.
    const before = picture((await timeline()).lanes)
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-trace').click()])
    const savedPath = path.join(tmp, saved.suggestedFilename())
    await saved.saveAs(savedPath)
    await page.getByTestId('open-trace').setInputFiles([savedPath])
    await until('the saved file open', () => page.getByTestId('recording-summary').innerText(), (t) => t.startsWith(path.basename(savedPath)))
    const after = await until('the same lanes again', timeline, (s) => s.lanes.filter((l) => l.kind === 'conn').length === 4)
    expect(picture(after.lanes)).toEqual(before)

    // Export from the app: the CSV is the CLI's, row for row; the Perfetto JSON names the same processes.
    const exported = async (item: string) => {
      await page.getByTestId('export').click()
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(item).click()])
      const to = path.join(tmp, `app-${file.suggestedFilename()}`)
      await file.saveAs(to)
      return readFileSync(to, 'utf8')
    }
    const cliCsv = path.join(tmp, 'cli.csv')
    const cliJson = path.join(tmp, 'cli.json')
    expect((await cli(['export', serverTrace, clientTrace, '--format', 'csv', '-o', cliCsv])).code).toBe(0)
    expect((await cli(['export', serverTrace, clientTrace, '--format', 'perfetto', '-o', cliJson])).code).toBe(0)
    expect(await exported('export-csv')).toBe(readFileSync(cliCsv, 'utf8'))
    type Json = { traceEvents: { ph: string; name: string; pid: number; args?: { name?: string } }[] }
    const names = (json: Json) => json.traceEvents.filter((e) => e.ph === 'M').map((e) => `${e.name} ${e.pid} ${e.args?.name}`).sort()
    const app = JSON.parse(await exported('export-perfetto')) as Json
    expect(names(app)).toEqual(names(JSON.parse(readFileSync(cliJson, 'utf8')) as Json))
  }, 90_000)
})
