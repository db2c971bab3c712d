import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { DrawnSnapshot } from '../../src/renderer/timeline/drawn.ts'
import { recordForkRun } from '../helpers/cli.ts'
import { drawnTimeline, haveChromium, screenshot, until, useLabPage } from './browser.ts'

/**
 * The code panel (issue 15) on a fork run the CLI recorded (seed 003: three children sleep,
 * serve, exit and stay zombies until the next accept reaps them), at 1280×720: the model's
 * own TypeScript by default, then the seed's Python; at two instants the parent is at
 * accept() and a child at time.sleep(5), then at os._exit(0) as a zombie; a line clicked
 * rings the events it produced on the timeline. Screenshots: test-results/e2e/code-*.png.
 */

interface Marker {
  lane: string
  line: number | null
  state: string
  text: string
}
let page: Page
const seek = (us: number) => page.evaluate((t) => (globalThis as unknown as { __sockscope: { seek(us: number): void } }).__sockscope.seek(t), us)
const timeline = async (): Promise<DrawnSnapshot> => (await drawnTimeline(page))!
/** The markers the panel shows: each chip's lane, line, state and the line's code. */
const markers = (): Promise<Marker[]> =>
  page.$$eval('[data-testid=code-marker]', (chips) =>
    chips.map((c) => {
      const el = c as HTMLElement
      const row = el.dataset.line ? document.querySelector(`[data-testid=code-line][data-line="${el.dataset.line}"]`) : null
      return { lane: el.dataset.lane!, line: el.dataset.line ? Number(el.dataset.line) : null, state: el.dataset.state!, text: row?.querySelector('code')?.textContent?.trim() ?? '' }
    }),
  )

describe.skipIf(!haveChromium)('the code panel on a recorded fork run', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-code-e2e-'))
  const serverTrace = path.join(tmp, 'fork-server.ndjson')
  const clientTrace = path.join(tmp, 'clients.ndjson')

  useLabPage(
    {
      before: () => recordForkRun({ serverTrace, clientTrace }, { clients: 3, delaySeconds: 1 }),
      files: () => [serverTrace, clientTrace],
      waitForLab: false,
      after: () => rmSync(tmp, { recursive: true, force: true }),
      timeoutMs: 120_000,
    },
    (lab) => ({ page } = lab),
  )

  it('shows a marker per process at its line, moving with the playhead; a clicked line rings its events', async () => {
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.getByTestId('recording-banner').waitFor()
    const snap = await until('a lane per connection', timeline, (s) => s.lanes.filter((l) => l.kind === 'conn').length === 4)
    const children = snap.lanes.filter((l) => l.kind === 'process')
    expect(children.length).toBeGreaterThanOrEqual(3)
    const sleeps = snap.lanes.flatMap((l) => (l.kind === 'conn' ? l.phases.filter((p) => p.on === 'sleep' && p.end !== null) : []))
    expect(sleeps.length, JSON.stringify(snap.lanes.filter((l) => l.kind === 'conn').map((l) => l.phases.map((p) => [p.kind, p.on])))).toBeGreaterThanOrEqual(3)
    const zombies = children.flatMap((l) => l.phases.filter((p) => p.kind === 'zombie'))
    // The burst's three asleep at once (the fourth client, the one whose accept reaps, comes
    // later): the middle of the span where their sleeps overlap.
    const burst = sleeps.sort((a, b) => a.start - b.start).slice(0, 3)
    const allAsleep = (Math.max(...burst.map((p) => p.start)) + Math.min(...burst.map((p) => p.end!))) / 2
    const firstZombie = zombies.sort((a, b) => a.start - b.start)[0]!
    const asZombie = firstZombie.start + 1000

    // The top bar opens it (the legend folded away, for the lanes' room at this size): the
    // fork model's own TypeScript, from its real files.
    await page.getByRole('button', { name: 'Legend' }).click()
    await page.getByTestId('code-toggle').click()
    await page.getByTestId('code-panel').waitFor()
    await seek(allAsleep)
    await until('a marker per process', markers, (ms) => ms.length === 4)
    expect(await page.locator('.code-panel .file').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/servers\/models\/fork\.ts/), expect.stringMatching(/^src\/servers\/models\/fork-child\.ts/)]))
    const ts = await markers()
    expect(ts.find((m) => m.lane === 'server:s1')!.text).toContain("kind: 'block', on: 'accept'")
    expect(ts.filter((m) => m.lane.startsWith('proc:')).map((m) => m.text)).toEqual(Array(3).fill(expect.stringContaining("awaitOn('sleep'")))
    await screenshot(page, 'code-01-model-typescript.png')

    // The seed's own Python, as a lesson would show it.
    await page.getByTestId('code-program').selectOption('seed003-fork-server')
    await until('the Python program', () => page.locator('.code-panel .body').getAttribute('data-program'), (id) => id === 'seed003-fork-server')
    const asleep = await until('markers on the Python', markers, (ms) => ms.length === 4 && ms.every((m) => m.text !== '' && !m.text.includes('await')))
    expect(asleep.find((m) => m.lane === 'server:s1')).toMatchObject({ state: 'blocked', text: expect.stringMatching(/^connection, address = sockobj\.accept\( \)/) })
    const sleeping = asleep.filter((m) => m.lane.startsWith('proc:'))
    expect(sleeping.map((m) => [m.state, m.text.split('  ')[0]])).toEqual(Array(3).fill(['blocked', 'time.sleep(5)']))
    await screenshot(page, 'code-02-python-asleep.png')

    // Later: the first child to exit is a zombie at os._exit(0); the parent still at accept().
    await seek(asZombie)
    const later = await until('a zombie at its exit', markers, (ms) => ms.some((m) => m.state === 'zombie'))
    const zombie = later.find((m) => m.state === 'zombie')!
    expect(zombie.text).toMatch(/^os\._exit\(0\)/)
    expect(zombie.line).not.toBe(sleeping[0]!.line)
    expect(later.find((m) => m.lane === 'server:s1')!.text).toMatch(/^connection, address = sockobj\.accept/)
    await screenshot(page, 'code-03-python-zombie.png')

    // A line clicked: the events it produced, listed and ringed on the timeline.
    const recvLine = page.locator('[data-testid=code-line]', { hasText: 'data = connection.recv(1024)' })
    await recvLine.click()
    const events = page.getByTestId('line-events')
    await events.waitFor()
    const count = Number(await events.getAttribute('data-count'))
    // Each of the 4 children waited in recv() and read at least one chunk, then its EOF.
    expect(count).toBeGreaterThanOrEqual(4 * 3)
    expect(await events.innerText()).toMatch(/recv/)
    await until('the rings drawn', timeline, (s) => s.highlights === count)
    await screenshot(page, 'code-04-line-events.png')

    // Clicking it again clears the highlight.
    await recvLine.click()
    await until('no rings', timeline, (s) => !s.highlights)
    expect(await events.count()).toBe(0)
  }, 90_000)
})
