import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { cli } from '../helpers/cli.ts'
import { haveChromium, screenshot, until, useLabPage } from './browser.ts'

/**
 * The compare view (issue 15), at the size of a 1280×720 screencast: four models under
 * one burst of clients, started together from the view's own controls; the summary has a
 * row per model with iterative's total well above thread's, the charts are drawn, and the
 * panels follow the playhead when it is moved back; a compare the CLI recorded, reopened,
 * shows the same view. Screenshots: test-results/e2e/compare-*.png.
 */
let page: Page
const drawn = async (testid: string) => Number(await page.getByTestId(testid).getAttribute('data-drawn'))
const totals = async () =>
  Object.fromEntries(
    await page.getByTestId('compare-table').locator('tbody tr').evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-model'), Number(r.querySelector('[data-testid="compare-total"]')?.textContent)]),
    ),
  ) as Record<string, number>

describe.skipIf(!haveChromium)('the compare view', () => {
  useLabPage({}, (lab) => ({ page } = lab))

  it('runs iterative, fork, thread and select under one burst, then shows the summary and the charts at the playhead', async () => {
    const delay = 0.5
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.getByTestId('compare-toggle').click()
    await page.getByTestId('compare-empty').waitFor()
    for (const model of ['iterative', 'fork', 'thread', 'select']) expect(await page.getByTestId(`compare-model-${model}`).getAttribute('aria-pressed')).toBe('true')
    await page.getByTestId('compare-count').fill('8')
    await page.getByTestId('compare-delay').fill(String(delay))
    await page.getByTestId('compare-run').click()

    // Every client of every model closed: 4 × 8 points on the latency chart.
    await until('every client served', () => drawn('chart-latency'), (n) => n === 32, 60_000)
    const rows = await page.getByTestId('compare-table').locator('tbody tr').evaluateAll((trs) => trs.map((r) => r.getAttribute('data-model')))
    expect(rows).toEqual(['iterative', 'fork', 'thread', 'select'])
    const total = await totals()
    // iterative serves one at a time (about 8 × delay); thread all at once (about 1 ×, plus its workers' boot).
    expect(total.iterative!).toBeGreaterThanOrEqual(6 * delay)
    expect(total.iterative!).toBeGreaterThan(total.thread! * 1.5)
    expect(await drawn('chart-in-service')).toBeGreaterThan(0)
    expect(await drawn('chart-queue')).toBeGreaterThan(0)
    for (const id of ['chart-in-service', 'chart-queue', 'chart-latency']) expect(await page.getByTestId(id).locator('canvas').count(), id).toBe(1)
    await screenshot(page, 'compare-done.png')

    // Back to the middle of the run: only the clients served by then, and smaller totals.
    // Halfway through iterative's run (the charts' x axis starts at the first connect).
    const from = Number(await page.getByTestId('compare-panel').locator('[data-from-us]').getAttribute('data-from-us'))
    await page.evaluate((t) => (globalThis as unknown as { __sockscope: { seek(us: number): void } }).__sockscope.seek(t), from + (total.iterative! / 2) * 1e6)
    const earlier = await until('fewer clients at the playhead', () => drawn('chart-latency'), (n) => n > 0 && n < 32)
    expect(earlier).toBeLessThan(32)
    expect((await totals()).iterative!).toBeLessThan(total.iterative!)
    await screenshot(page, 'compare-playhead.png')
  }, 120_000)
})

describe.skipIf(!haveChromium)('the compare view of a recorded compare', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-compare-e2e-'))
  const trace = path.join(tmp, 'compare.ndjson')
  let cliRows: { model: string; totalS: number }[] = []
  useLabPage(
    {
      before: async () => {
        const run = await cli(['compare', '--models', 'iterative,thread', '--count', '3', '--delay', '0.3', '--json', '--trace', trace])
        expect(run.code).toBe(0)
        cliRows = (JSON.parse(run.stdout.join('\n')) as { models: { model: string; totalS: number }[] }).models
      },
      files: () => [trace],
      waitForLab: false,
      after: () => rmSync(tmp, { recursive: true, force: true }),
    },
    (lab) => ({ page } = lab),
  )

  it('pairs the servers and their clients from the events and shows the CLI’s figures', async () => {
    await page.setViewportSize({ width: 1280, height: 720 })
    await page.getByTestId('recording-banner').waitFor()
    await page.getByTestId('compare-toggle').click()
    await until('both clients’ latencies', () => drawn('chart-latency'), (n) => n === 6)
    const shown = await totals()
    expect(Object.keys(shown)).toEqual(['iterative', 'thread'])
    for (const row of cliRows) expect(shown[row.model], row.model).toBeCloseTo(row.totalS, 2)
    // A recording is not run again from here.
    expect(await page.getByTestId('compare-run').isDisabled()).toBe(true)
  }, 60_000)
})
