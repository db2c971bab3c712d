import { spawnSync } from 'node:child_process'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { drawnTimeline, haveChromium, screenshot, until, useLabPage } from './browser.ts'
import { GEOMETRY_DEFAULTS } from '../../src/renderer/timeline/render/context.ts'
import { pythonWith } from '../servers/tracer/python.ts'

/**
 * Trace a program, end to end in Chromium against web mode: the Trace form runs seed 003's
 * Python forking server (docs/examples/fork-server.py) under strace; it appears on the
 * timeline beside Sockscope's own fork model, and the same 8-client burst runs against
 * each. The screenshot (test-results/e2e/09-trace-fork.png) shows the two side by side.
 */
const haveStrace = spawnSync('strace', ['-V']).status === 0
if (!haveStrace) console.warn('e2e: skipped: strace is missing (apt-get install strace)')

let page: Page

const runStates = (): Promise<{ run: string; state: string; text: string }[]> =>
  page.$$eval('[data-testid=run-row]', (rs) => rs.map((r) => ({ run: (r as HTMLElement).dataset.run ?? '', state: (r as HTMLElement).dataset.state ?? '', text: (r as HTMLElement).innerText })))
const finished = (run: string) => until(`${run} finished`, runStates, (r) => ['finished', 'stopped'].includes(r.find((x) => x.run === run)?.state ?? ''), 60_000)

async function burst(target: string): Promise<string> {
  const before = (await runStates()).map((r) => r.run)
  await page.getByTestId('client-target').selectOption(target)
  await page.getByTestId('client-workload').selectOption('burst')
  await page.getByTestId('client-count').fill('8')
  await page.getByTestId('run-clients').click()
  const after = await until('the burst', runStates, (r) => r.some((x) => x.run.startsWith('c') && !before.includes(x.run)))
  return after.find((x) => x.run.startsWith('c') && !before.includes(x.run))!.run
}

describe.skipIf(!haveChromium || !haveStrace || process.platform !== 'linux')('Trace a program (Chromium)', { timeout: 180_000 }, () => {
  useLabPage({}, (lab) => ({ page } = lab))

  it('a bad command line is refused beside the form', async () => {
    await page.getByTestId('trace-form').scrollIntoViewIfNeeded()
    await page.getByTestId('trace-command').fill('python3 "unclosed')
    await page.getByTestId('trace-button').click()
    expect(await until('the refusal', () => page.getByTestId('trace-error').innerText().catch(() => ''), (t) => t.includes('BAD_OPTION'))).toContain('double quote')
    while (await page.getByTestId('problem').count()) await page.locator('[data-testid=problem] button').first().click()
  })

  it("traces the Python fork server beside Sockscope's fork model, under the same 8-client burst", async () => {
    // Sockscope's own fork model, reaping on the next accept as the seed does, 1 s of work per client.
    await page.getByTestId('server-model').selectOption('fork')
    await page.getByTestId('server-delay').fill('1')
    await page.getByTestId('start-server').click()
    const model = (await until('the fork model', runStates, (r) => r.some((x) => x.run.startsWith('s') && x.state === 'running'))).find((x) => x.run.startsWith('s'))!.run
    await finished(await burst(model))

    // The Python server, from the Trace form, as a learner types it.
    await page.getByTestId('trace-command').fill(`${pythonWith()} docs/examples/fork-server.py --port 0 --delay 1`)
    await page.getByTestId('trace-button').click()
    const traced = await until('the traced run, listening', runStates, (r) => r.some((x) => x.run.startsWith('t') && /:\d+/.test(x.text)))
    const run = traced.find((x) => x.run.startsWith('t'))!
    expect(run.text).toContain('traced')
    await finished(await burst(run.run))
    // A ninth client: its accept is when the server reaps the first eight.
    await page.getByTestId('client-count').fill('1')
    await page.getByTestId('run-clients').click()

    const drawn = (await until(
      'both runs on the timeline, the traced children reaped',
      () => drawnTimeline(page),
      (t) => !!t && t.lanes.filter((l) => l.run === run.run && l.kind === 'conn').length >= 9 && t.lanes.filter((l) => l.run === model && l.kind === 'conn').length >= 8 && t.lanes.filter((l) => l.run === run.run && l.phases.some((p) => p.kind === 'zombie')).length >= 8,
      60_000,
    ))!
    const tracedLanes = drawn.lanes.filter((l) => l.run === run.run)
    expect(new Set(tracedLanes.filter((l) => l.pid && l.kind !== 'conn' && l.kind !== 'server').map((l) => l.pid)).size).toBeGreaterThanOrEqual(8)
    // Room for both runs' lanes: a taller window, the clients' group folded.
    await page.setViewportSize({ width: 1920, height: 2400 })
    const box = (await page.getByTestId('timeline').boundingBox())!
    const clients = (await drawnTimeline(page))!.lanes.find((l) => l.key === 'group:clients')!
    await page.mouse.click(box.x + 60, box.y + GEOMETRY_DEFAULTS.axisHeight + clients.y + clients.height / 2)
    await until('the clients folded', () => drawnTimeline(page), (t) => !!t && !t.lanes.some((l) => l.kind === 'clients'))
    await page.mouse.move(5, 5)
    await screenshot(page, '09-trace-fork.png')
  })
})
