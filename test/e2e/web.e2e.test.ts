import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { DrawnLane } from '../../src/renderer/timeline/drawn.ts'
import { isAlive } from '../helpers/lab-run.ts'
import { drawnTimeline, haveChromium, screenshot, until, useLabPage } from './browser.ts'

/**
 * The UI end to end, as a user drives it: web mode (`sockscope web`, a real lab, real
 * servers and clients) in Debian's Chromium. Assertions read the screen: the DOM for the
 * tables and the log, and for the canvas the read-only description of what it drew last
 * (window.__sockscope.timeline()). Screenshots go to test-results/e2e/.
 */

let page: Page
/** Every pid the process table showed, to check that none is left at the end. */
const seenPids = new Set<number>()

const shot = (name: string) => screenshot(page, name)
const timeline = () => drawnTimeline(page)
const connLanes = async (): Promise<DrawnLane[]> => ((await timeline())?.lanes ?? []).filter((l) => l.kind === 'conn')

interface Row {
  pid: number
  ppid: string
  kind: string
  state: string
  conn: string
  /** The kernel's view of it (a state letter, or 'gone'); '' before the sampler's first reading. */
  os: string
}
async function rows(kind?: string): Promise<Row[]> {
  const all = await page.$$eval('[data-testid=proc-row]', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset
      return { pid: Number(d.pid), ppid: d.ppid ?? '', kind: d.kind ?? '', state: d.state ?? '', conn: d.conn ?? '', os: d.os ?? '' }
    }),
  )
  for (const row of all) if (row.kind !== 'lab' && row.kind !== 'thread') seenPids.add(row.pid)
  return kind ? all.filter((r) => r.kind === kind) : all
}

/** Each run in the run list: its id and state. */
const runStates = (): Promise<{ run: string; state: string }[]> =>
  page.$$eval('[data-testid=run-row]', (rs) => rs.map((r) => ({ run: (r as HTMLElement).dataset.run ?? '', state: (r as HTMLElement).dataset.state ?? '' })))

async function processesGone(pids: number[], timeoutMs = 8000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter(isAlive)
  while (alive.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    alive = alive.filter(isAlive)
  }
  return alive
}

describe.skipIf(!haveChromium)('the UI in web mode (Chromium)', { timeout: 90_000 }, () => {
  // The first test sees the page before the lab connects.
  useLabPage({ waitForLab: false }, (lab) => ({ page } = lab))

  it('first run: says what to click, and runs the classic fork demo in one click', async () => {
    await page.getByTestId('empty-state').waitFor()
    await until('the lab connection', () => page.getByTestId('lab-status').innerText(), (t) => t.includes('connected'))
    expect(await page.getByTestId('run-demo').isEnabled()).toBe(true)
    // The forms come from the catalog: the models registered on the Node side.
    const models = await page.$$eval('[data-testid=server-model] option', (os) => os.map((o) => (o as HTMLOptionElement).value))
    expect(models).toEqual(expect.arrayContaining(['iterative', 'fork', 'thread']))
    await shot('01-first-run.png')

    await page.getByTestId('run-demo').click()
    // 8 connection lanes on the canvas, 8 child-process rows in the table.
    const lanes = await until('8 connection lanes', connLanes, (l) => l.length === 8 && l.every((c) => c.acceptT !== null))
    expect(lanes.map((l) => l.label)).toEqual(['#1', '#2', '#3', '#4', '#5', '#6', '#7', '#8'])
    const children = await until('8 sleeping children', () => rows('child'), (r) => r.length === 8 && r.every((c) => c.state === 'sleeping'))
    const server = (await rows('server'))[0]!
    expect(children.every((c) => c.ppid === String(server.pid))).toBe(true)
    expect(new Set(children.map((c) => c.conn))).toEqual(new Set(lanes.map((l) => l.conn)))
    for (const child of children) expect(isAlive(child.pid), `child ${child.pid} is a real process`).toBe(true)
    const drawn = (await timeline())!
    expect(drawn.lanes.filter((l) => l.kind === 'process')).toHaveLength(8)
    expect(await page.getByTestId('timeline').getAttribute('data-connection-lanes')).toBe('8')
    // Each connection lane shows the child starting, then its 5 s sleep (the seed's time.sleep(5)).
    for (const lane of await connLanes()) expect(lane.phases.map((p) => (p.on ? `${p.kind}:${p.on}` : p.kind))).toContain('blocked:sleep')
    // The OS sampler has read each child: the kernel lists it, running or sleeping.
    await until('the kernel\'s view of the 8 children', () => rows('child'), (r) => r.length === 8 && r.every((c) => c.os === 'S' || c.os === 'R'))
    await shot('02-fork-children-sleeping.png')
  })

  it('fork: children exit and stay zombies until the next accept reaps them', async () => {
    const zombies = await until('8 zombies', () => rows('child'), (r) => r.length === 8 && r.every((c) => c.state === 'zombie'), 30_000)
    expect(await page.getByTestId('zombie-count').innerText()).toContain('8 zombie')
    // Node reaped them for real; the zombie interval is the server's reap policy, modelled.
    expect(await processesGone(zombies.map((z) => z.pid))).toEqual([])
    // Every lane ended: the server closed after the client's last recv (the client's close
    // comes in the client process's own batches, which may land after the child's exit).
    const lanes = await until('both sides closed', connLanes, (l) => l.length === 8 && l.every((c) => c.serverCloseT !== null && c.clientCloseT !== null))
    for (const lane of lanes) expect(lane.clientCloseT!, `${lane.label}: the client closed after the accept`).toBeGreaterThan(lane.acceptT!)

    // Hover the third connection's sleep: the tooltip says what it is.
    const box = (await page.getByTestId('timeline').boundingBox())!
    const snap = (await timeline())!
    const lane = snap.lanes.find((l) => l.label === '#3')!
    const sleep = lane.phases.find((p) => p.on === 'sleep')!
    const plotLeft = 196
    const x = box.x + plotLeft + ((sleep.start + sleep.end!) / 2 - snap.view.start) / (snap.view.end - snap.view.start) * (box.width - 14 - plotLeft)
    await page.mouse.move(x, box.y + 30 + lane.y + 15)
    const tip = await page.getByTestId('timeline-tooltip').innerText()
    expect(tip).toContain('#3')
    expect(tip).toContain('blocked on sleep')
    await shot('03-fork-zombies-tooltip.png')
    await page.mouse.move(box.x + box.width - 20, box.y + box.height - 10)

    // One more client: the server reaps its zombies before it forks again (seed 003).
    await page.getByTestId('client-count').fill('1')
    await page.getByTestId('run-clients').click()
    const after = await until('the 8 zombies reaped', () => rows('child'), (r) => r.length === 9 && zombies.every((z) => r.find((c) => c.pid === z.pid)?.state === 'reaped'))
    expect(after.filter((c) => c.state === 'reaped')).toHaveLength(8)

    // Select connection #1: its lanes are highlighted, its child row too, and the log can show only it.
    const first = (await connLanes()).find((l) => l.label === '#1')!
    await page.mouse.click(box.x + 60, box.y + 30 + first.y + 15)
    await until('the selection', timeline, (s) => s?.selectedConn === first.conn)
    expect(await page.locator(`[data-testid=proc-row][data-conn="${first.conn}"]`).getAttribute('class')).toContain('selected')
    await page.getByTestId('log-conn-filter').selectOption(first.conn!)
    const logConns = await until('the log filtered to #1', () => page.$$eval('[data-testid=log-row]', (rs) => rs.map((r) => (r as HTMLElement).dataset.conn)), (c) => c.length > 0 && c.every((x) => x === first.conn))
    expect(logConns.length).toBeGreaterThan(3)
    // The log follows: it has scrolled to the filtered list's newest row.
    await until('the log at its newest row', () => page.getByTestId('event-log').evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 26), (atEnd) => atEnd)
    await shot('04-fork-reaped-selected.png')
    await page.getByTestId('log-conn-filter').selectOption('all')
    await page.keyboard.press('Escape')

    // Stop the fork server: it and every child it forked are gone for real.
    const server = (await rows('server'))[0]!
    await page.getByTestId('stop-s1').click()
    await until('the fork server stopped', () => rows('server'), (r) => r[0]?.state === 'exited')
    expect(await processesGone([server.pid, ...after.map((c) => c.pid)])).toEqual([])
  })

  it('iterative: the staircase — connection k is accepted only after k−1 closed', async () => {
    await page.getByTestId('clear').click()
    await until('an empty timeline', connLanes, (l) => l.length === 0)
    await page.getByTestId('server-model').selectOption('iterative')
    await page.getByTestId('server-delay').fill('1')
    await page.getByTestId('start-server').click()
    await until('the iterative server', () => page.getByTestId('client-target').inputValue(), (v) => v !== '' && v !== 's1')
    await page.getByTestId('client-count').fill('8')
    await page.getByTestId('run-clients').click()
    // The first connection is served while the other seven wait in the accept queue.
    const waiting = await until('7 queued connections', connLanes, (l) => l.length === 8 && l.filter((c) => c.acceptT === null).length === 7)
    expect(waiting.filter((c) => c.phases[0]?.kind === 'queued')).toHaveLength(8)

    const lanes = await until('8 served connections', connLanes, (l) => l.length === 8 && l.every((c) => c.serverCloseT !== null), 30_000)
    const byAccept = [...lanes].sort((a, b) => a.acceptT! - b.acceptT!)
    for (let k = 1; k < byAccept.length; k++) {
      expect(byAccept[k]!.acceptT!, `#${byAccept[k]!.index} accepted after #${byAccept[k - 1]!.index} closed`).toBeGreaterThanOrEqual(byAccept[k - 1]!.serverCloseT!)
      // Each waited in the queue longer than the one before it.
      const queued = (l: DrawnLane) => l.phases.find((p) => p.kind === 'queued')!
      expect(queued(byAccept[k]!).end! - queued(byAccept[k]!).start).toBeGreaterThan(queued(byAccept[k - 1]!).end! - queued(byAccept[k - 1]!).start)
    }
    // Back in accept(): its block may come in a batch after the last close.
    await until('the iterative server back in accept()', () => rows('server'), (r) => r.filter((x) => x.state !== 'exited').length === 1 && r.find((x) => x.state !== 'exited')!.state === 'sleeping')
    // The clients' run ended too: the picture is the final one.
    await until('the clients finished', runStates, (r) => r.filter((x) => x.run.startsWith('c')).every((x) => x.state === 'finished' || x.state === 'stopped'))
    await shot('05-iterative-staircase-dark.png')

    // Pan and zoom: the wheel zooms at the pointer, a drag pans, 0 fits everything and follows again.
    const box = (await page.getByTestId('timeline').boundingBox())!
    const before = (await timeline())!
    await page.mouse.move(box.x + box.width * 0.6, box.y + 220)
    await page.mouse.wheel(0, -600)
    const zoomed = (await until('a zoom', timeline, (s) => !!s && !s.following && s.view.end - s.view.start < (before.view.end - before.view.start) * 0.7))!
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.6 + 240, box.y + 220, { steps: 6 })
    await page.mouse.up()
    await until('a pan', timeline, (s) => !!s && s.view.start < zoomed.view.start - 1)
    await page.keyboard.press('w')
    await until('a keyboard zoom', timeline, (s) => !!s && s.view.end - s.view.start < zoomed.view.end - zoomed.view.start)
    await page.keyboard.press('0')
    await until('follow live again', timeline, (s) => !!s && s.following)
    expect(await page.getByTestId('timeline').getAttribute('data-following')).toBe('true')
    await page.getByTestId('theme-toggle').click()
    await until('the light theme drawn', timeline, (s) => s?.theme === 'light')
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light')
    await shot('06-iterative-staircase-light.png')
    await page.getByTestId('theme-toggle').click()
    await until('the dark theme drawn again', timeline, (s) => s?.theme === 'dark')
  })

  it('stop everything: no process it started is left', async () => {
    await rows()
    await page.getByTestId('stop-all').click()
    await until('every run ended', runStates, (r) => r.length > 0 && r.every((x) => x.state === 'stopped' || x.state === 'finished'))
    const live = (await rows()).filter((r) => r.kind !== 'lab' && r.state !== 'exited' && r.state !== 'reaped')
    expect(live).toEqual([])
    expect(seenPids.size).toBeGreaterThanOrEqual(8 + 1 + 1 + 1 + 1 + 1)
    expect(await processesGone([...seenPids])).toEqual([])
    await shot('07-everything-stopped.png')
  })
})
