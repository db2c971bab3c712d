import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { DrawnLane, DrawnSnapshot } from '../../src/renderer/timeline/drawn.ts'
import { drawnTimeline, haveChromium, painted, screenshot, until, useLabPage } from './browser.ts'

/**
 * Every state a lane claims is what that thread of control is really doing (issue 9,
 * items 2 and 8): an event loop with nothing to run waits in select() on all its sockets,
 * never in a task's await; a blocking call on the loop's one thread is the loop's state,
 * naming the connection; a reset says so on the side that sent it and the side that saw
 * it. Web mode in Chromium, real servers and clients; the canvas is read through what it
 * drew (window.__sockscope.timeline()) and through its tooltips. Screenshots:
 * test-results/e2e/lane-states-*.png.
 */

let page: Page

/** The canvas's label column and axis (GEOMETRY_DEFAULTS), and its right margin (TimelineCanvas). */
const PLOT_LEFT = 196
const AXIS = 30
const RIGHT_MARGIN = 14
/** Where a loop lane's state bar is (LOOP_BAR: top 19, height 14): its middle. */
const LOOP_BAR_MID = 26

type Phase = DrawnLane['phases'][number]

const timeline = async (): Promise<DrawnSnapshot> => (await drawnTimeline(page))!
const lanesOf = async (run: string): Promise<DrawnLane[]> => (await timeline()).lanes.filter((l) => l.run === run)
const lane = (lanes: DrawnLane[], kind: string) => lanes.find((l) => l.kind === kind)
const last = (l: DrawnLane | undefined): Phase | undefined => l?.phases.at(-1)
const isSelectWait = (p: Phase | undefined): boolean => p?.kind === 'sleeping' && p.on === 'select'

/** Start a server from the form; its run id (the newest server in the run list). */
async function startServer(model: string, delay: string): Promise<string> {
  const before = await runIds('s')
  await page.getByTestId('server-model').selectOption(model)
  await page.getByTestId('server-delay').fill(delay)
  await page.getByTestId('start-server').click()
  const after = await until(`the ${model} server's run`, () => runIds('s'), (ids) => ids.length > before.length)
  const run = after.find((id) => !before.includes(id))!
  await until(`${run} running`, runStates, (r) => r.find((x) => x.run === run)?.state === 'running')
  await until(`${run} as the clients' target`, () => page.getByTestId('client-target').inputValue(), (v) => v === run)
  return run
}

/** Run a workload against the target server; its run id. */
async function runClients(workload: string, fields: Record<string, string>): Promise<string> {
  const before = await runIds('c')
  await page.getByTestId('client-workload').selectOption(workload)
  for (const [name, value] of Object.entries(fields)) await page.getByTestId(`client-${name}`).fill(value)
  await page.getByTestId('run-clients').click()
  const after = await until(`the ${workload} clients' run`, () => runIds('c'), (ids) => ids.length > before.length)
  return after.find((id) => !before.includes(id))!
}

const runStates = (): Promise<{ run: string; state: string }[]> =>
  page.$$eval('[data-testid=run-row]', (rs) => rs.map((r) => ({ run: (r as HTMLElement).dataset.run ?? '', state: (r as HTMLElement).dataset.state ?? '' })))
const runIds = async (prefix: string) => (await runStates()).map((r) => r.run).filter((id) => id.startsWith(prefix))
const finished = (run: string) => until(`${run} finished`, runStates, (r) => ['finished', 'stopped'].includes(r.find((x) => x.run === run)?.state ?? ''), 40_000)

/** Page x of time t in the view the canvas drew last. */
async function xOf(t: number): Promise<number> {
  const box = (await page.getByTestId('timeline').boundingBox())!
  const { view } = await timeline()
  return box.x + PLOT_LEFT + ((t - view.start) / (view.end - view.start)) * (box.width - RIGHT_MARGIN - PLOT_LEFT)
}

/** Hover lane `l` at time t, `dy` px below its top; the tooltip's text. */
async function hover(l: DrawnLane, t: number, dy: number): Promise<string> {
  const box = (await page.getByTestId('timeline').boundingBox())!
  const tooltip = () => page.getByTestId('timeline-tooltip').innerText().catch(() => '')
  // A busy machine can drop a pointer move between frames: nudge by a pixel, as a hand would.
  for (let nudge = 0; nudge < 3; nudge++) {
    await page.mouse.move((await xOf(t)) + nudge, box.y + AXIS + l.y + dy)
    await painted(page)
    try {
      return await until('the tooltip', tooltip, (text) => text.length > 0, 3000)
    } catch {}
  }
  return until('the tooltip', tooltip, (text) => text.length > 0, 3000)
}

/** Zoom in at time t (the wheel, at the pointer) until the view spans at most `spanUs`. */
async function zoomTo(l: DrawnLane, t: number, spanUs: number): Promise<void> {
  const box = (await page.getByTestId('timeline').boundingBox())!
  for (let i = 0; i < 40; i++) {
    const { view } = await timeline()
    if (view.end - view.start <= spanUs) return
    await page.mouse.move(await xOf(t), box.y + AXIS + l.y + 15)
    await page.mouse.wheel(0, -400)
    await until('a zoom step', timeline, (s) => s.view.end - s.view.start < view.end - view.start)
  }
}

/** A time well inside a phase (an open one ends at the live edge, just before the view's end). */
async function inside(p: Phase, at = 0.5): Promise<number> {
  const { view } = await timeline()
  const end = p.end ?? view.end - (view.end - view.start) * 0.03
  return p.start + (end - p.start) * at
}

/**
 * Stop following, so that the picture holds still while a tooltip is read: the least turn
 * of the wheel (a zoom by 0.15 %) stops following on the window shown at that moment.
 */
async function holdStill(): Promise<void> {
  if (!(await timeline()).following) return
  const box = (await page.getByTestId('timeline').boundingBox())!
  await page.mouse.move(box.x + box.width - 40, box.y + box.height - 20)
  await page.mouse.wheel(0, 1)
  await until('the view held still', timeline, (s) => !s.following)
}

async function freshTimeline(): Promise<void> {
  await page.mouse.move(5, 5)
  if (await page.getByTestId('stop-all').isEnabled()) await page.getByTestId('stop-all').click()
  await until('every run ended', runStates, (r) => r.every((x) => x.state !== 'running' && x.state !== 'starting' && x.state !== 'stopping'))
  await page.getByTestId('clear').click()
  await until('an empty timeline', timeline, (s) => s.lanes.every((l) => l.kind !== 'conn'))
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  if (!(await timeline()).following) await page.keyboard.press('0')
  await until('following again', timeline, (s) => s.following)
}

describe.skipIf(!haveChromium)('what each lane says its thread of control is doing (Chromium)', { timeout: 120_000 }, () => {
  useLabPage({}, (lab) => ({ page } = lab))

  it('asyncio, its tasks done: the loop waits in select() on its listener, never "blocked on sleep"', async () => {
    const run = await startServer('asyncio', '0.5')
    const clients = await runClients('burst', { count: '3' })
    await finished(clients)
    // Each connection awaited its sleep: that was the task's wait, not the loop's.
    const conns = await until('3 closed connections', async () => (await lanesOf(run)).filter((l) => l.kind === 'conn'), (c) => c.length === 3 && c.every((l) => l.serverCloseT !== null))
    for (const c of conns) expect(c.phases.find((p) => p.on === 'sleep'), `${c.label} awaits its sleep`).toMatchObject({ kind: 'blocked', task: true })
    const lastClose = Math.max(...conns.map((c) => c.serverCloseT!))
    // The loop, with nothing to run, waits in select() on its one listening socket, and has for a while.
    const lanes = await until('the idle loop in select()', () => lanesOf(run), (ls) => {
      const wait = last(lane(ls, 'loop'))
      return isSelectWait(wait) && wait!.end === null && wait!.start >= lastClose && wait!.sockets === 1 && isSelectWait(last(lane(ls, 'server')))
    })
    const loop = lane(lanes, 'loop')!
    const server = lane(lanes, 'server')!
    // Neither lane ever claims a task's await as its own.
    for (const l of [loop, server]) expect(l.phases.filter((p) => p.kind === 'sleeping').map((p) => p.on), l.label).toEqual(expect.arrayContaining(['select']))
    for (const l of [loop, server]) expect(l.phases.some((p) => p.on === 'sleep' || p.on === 'recv'), `${l.label} never sleeps in a task's await`).toBe(false)

    // Let the idle wait grow to a good part of the picture, then read the tooltips.
    await until('a long idle wait', timeline, (s) => {
      const wait = last(s.lanes.find((l) => l.run === run && l.kind === 'loop'))!
      return (s.view.end - wait.start) / (s.view.end - s.view.start) > 0.35
    }, 30_000)
    await holdStill()
    const idle = last(lane(await lanesOf(run), 'loop'))!
    const serverTip = await hover(server, await inside(idle), 11)
    expect(serverTip).toContain('waiting in select() on 1 socket')
    expect(serverTip).not.toContain('blocked on sleep')
    const loopTip = await hover(loop, await inside(idle), LOOP_BAR_MID)
    expect(loopTip).toContain('event loop')
    expect(loopTip).toContain('waiting in select() on 1 socket')
    expect(loopTip).toContain('(so far)')
    expect(loopTip).not.toMatch(/blocked on (sleep|recv)/)
    await screenshot(page, 'lane-states-01-asyncio-idle-loop.png')

    // A connection's await, by contrast, is that task's.
    const first = (await lanesOf(run)).find((l) => l.kind === 'conn' && l.label === '#1')!
    const sleep = first.phases.find((p) => p.on === 'sleep')!
    const taskTip = await hover(first, await inside(sleep), 15)
    expect(taskTip).toContain('await sleep')
    expect(taskTip).toMatch(/only Task-\d+: the loop runs the other tasks/)
    await screenshot(page, 'lane-states-02-asyncio-task-await.png')
  })

  it('select, idle with a client that sends nothing: the loop waits in select() on both sockets, not in that client\'s recv', async () => {
    await freshTimeline()
    const run = await startServer('select', '0')
    await runClients('idle', { count: '1', hold: '30' })
    const lanes = await until('the loop idle in select() on the listener and the idle connection', () => lanesOf(run), (ls) => {
      const conn = ls.find((l) => l.kind === 'conn')
      return isSelectWait(last(lane(ls, 'loop'))) && last(lane(ls, 'loop'))!.sockets === 2 && last(conn)?.on === 'recv'
    })
    // The idle client's connection is parked on recv: its own wait, the loop's is select().
    const conn = lanes.find((l) => l.kind === 'conn')!
    expect(last(conn)).toMatchObject({ kind: 'blocked', on: 'recv', task: true, end: null })
    for (const kind of ['loop', 'server']) expect(lane(lanes, kind)!.phases.some((p) => p.on === 'recv'), `the ${kind} lane never claims the connection's recv`).toBe(false)

    await until('a long idle wait', timeline, (s) => {
      const wait = last(s.lanes.find((l) => l.run === run && l.kind === 'loop'))!
      return (s.view.end - wait.start) / (s.view.end - s.view.start) > 0.6
    }, 30_000)
    await holdStill()
    const now = await lanesOf(run)
    const wait = last(lane(now, 'loop'))!
    expect(await hover(lane(now, 'server')!, await inside(wait, 0.6), 11)).toContain('waiting in select() on 2 sockets')
    const tip = await hover(lane(now, 'loop')!, await inside(wait, 0.6), LOOP_BAR_MID)
    expect(tip).toContain('waiting in select() on 2 sockets')
    expect(tip).toContain('the event loop is idle')
    expect(tip).not.toContain('blocked on recv')
    // The process table says the same: the server sleeps in select().
    const row = page.locator('[data-testid=proc-row][data-kind=server]', { hasText: `server ${run} ·` })
    expect(await row.getAttribute('data-state')).toBe('sleeping')
    expect(await row.innerText()).toContain('select')
    await screenshot(page, 'lane-states-03-select-idle.png')
    // The same in the light theme: its own colour there too.
    await page.getByTestId('theme-toggle').click()
    await until('the light theme drawn', timeline, (s) => s.theme === 'light')
    await hover(lane(now, 'loop')!, await inside(wait, 0.6), LOOP_BAR_MID)
    await screenshot(page, 'lane-states-03b-select-idle-light.png')
    await page.getByTestId('theme-toggle').click()
    await until('the dark theme drawn again', timeline, (s) => s.theme === 'dark')
  })

  it('select with --delay: the loop lane sleeps for one connection at a time, naming it; a connection whose client has sent is ready, waiting for the loop', async () => {
    await freshTimeline()
    const run = await startServer('select', '0.3')
    const clients = await runClients('burst', { count: '4' })
    await finished(clients)
    const lanes = await until('4 served connections', () => lanesOf(run), (ls) => ls.filter((l) => l.kind === 'conn' && l.serverCloseT !== null).length === 4)
    const loop = lane(lanes, 'loop')!
    const sleeps = loop.phases.filter((p) => p.kind === 'sleeping' && p.on === 'sleep')
    // One sleep per connection, on the loop's thread, each naming its connection.
    const conns = lanes.filter((l) => l.kind === 'conn')
    expect(new Set(sleeps.map((p) => p.conn))).toEqual(new Set(conns.map((c) => c.conn)))
    // While the loop sleeps for one, another whose client has sent waits for the loop, not for bytes.
    const stalled = conns.flatMap((c) => c.phases.filter((p) => p.kind === 'ready').map((p) => ({ c, p })))
      .find(({ c, p }) => sleeps.some((s) => s.conn !== c.conn && s.start < p.end! && s.end! > p.start && s.end! - s.start > 0.2e6))
    expect(stalled, 'a connection ready while the loop slept for another').toBeDefined()
    await holdStill()
    const sleep = sleeps.find((s) => s.conn !== stalled!.c.conn && s.start < stalled!.p.end! && s.end! > stalled!.p.start)!
    const sleepTip = await hover(loop, await inside(sleep), LOOP_BAR_MID)
    const whose = conns.find((c) => c.conn === sleep.conn)!.label
    expect(sleepTip).toContain(`blocked in sleep for ${whose}`)
    const from = Math.max(sleep.start, stalled!.p.start)
    const to = Math.min(sleep.end!, stalled!.p.end!)
    const readyTip = await hover(stalled!.c, from + (to - from) / 2, 15)
    expect(readyTip).toContain('ready, waiting for the loop')
    await screenshot(page, 'lane-states-07-select-delay-ready.png')
  })

  it('select with a client that never reads: the loop lane shows its one thread stuck in the send, naming the connection', async () => {
    await freshTimeline()
    const run = await startServer('select', '0')
    // Enough that the client's receive buffer and the server's send buffer fill (≈4 MB on loopback).
    await runClients('no-read', { count: '1', bytes: String(12 * 1024 * 1024), hold: '6' })
    const bad = await until('the no-read connection', async () => (await lanesOf(run)).find((l) => l.kind === 'conn'), (l) => l !== undefined)
    // Others come meanwhile: most likely during the stuck send (the page is busy with the
    // flood of the bad client's reads, so when is not sure), and wait in the accept queue.
    const others = await runClients('burst', { count: '2' })
    await finished(others)
    // (What comes after the send, in select() again, may come in a later batch than its end.)
    const lanes = await until('the loop stuck in a long send to the no-read client, then back in select()', () => lanesOf(run), (ls) => {
      const phases = lane(ls, 'loop')?.phases ?? []
      const send = phases.find((p) => p.kind === 'sleeping' && p.on === 'send' && p.end !== null && p.end - p.start > 1e6)
      return send !== undefined && send.conn === bad!.conn && phases.some((p) => p.start >= send.end! && isSelectWait(p))
    }, 40_000)
    const loop = lane(lanes, 'loop')!
    const send = loop.phases.find((p) => p.on === 'send' && p.end !== null && p.end - p.start > 1e6)!
    // No wake-up in it: the thread did nothing else; the connection's own lane shows the same send.
    expect(loop.phases.filter((p) => p.start > send.start && p.start < send.end!).map((p) => p.kind)).toEqual([])
    expect(lane(lanes, 'server')!.phases.find((p) => p.on === 'send' && p.start === send.start)).toMatchObject({ conn: bad!.conn })
    const badNow = lanes.find((l) => l.conn === bad!.conn)!
    expect(badNow.phases.find((p) => p.kind === 'blocked' && p.on === 'send')).toMatchObject({ task: false })
    // Its reset ends the send, and the loop goes back to select().
    expect(loop.phases.find((p) => p.start >= send.end! && isSelectWait(p))).toBeDefined()

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await page.keyboard.press('0')
    await holdStill()
    const tip = await hover(loop, await inside(send), LOOP_BAR_MID)
    expect(tip).toContain(`blocked in send to ${badNow.label}: the peer is not reading`)
    expect(tip).toContain('every connection')
    await screenshot(page, 'lane-states-04-select-stuck-in-send.png')
  })

  it("thread with a client that never reads: its thread blocked on send, the peer not reading, and the kernel's send queue behind it", async () => {
    await freshTimeline()
    const run = await startServer('thread', '0')
    // 12 MB unread: the kernel's buffers fill (≈8 MB here), then the 64 KiB the server keeps; the thread waits.
    const bad = await runClients('no-read', { count: '1', bytes: String(12 * 1024 * 1024), hold: '6' })
    // The long wait, once the buffers are full, until the client's reset ends it (short ones come before it, while they fill).
    const stalled = (p: Phase) => p.kind === 'blocked' && p.on === 'send' && p.end !== null && p.end - p.start > 1.5e6
    const lanes = await until('the thread blocked on send for a while', () => lanesOf(run), (ls) => ls.some((l) => l.kind === 'conn' && l.phases.some(stalled)), 20_000)
    const conn = lanes.find((l) => l.kind === 'conn')!
    const send = conn.phases.find(stalled)!
    // Its thread's lane is in the same call: a blocking send, nothing else runs on it.
    expect(lanes.find((l) => l.kind === 'thread' && l.conn === conn.conn)!.phases.some((p) => p.on === 'send' && p.start === send.start)).toBe(true)

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await holdStill()
    const tip = await hover(conn, await inside(send, 0.6), 15)
    expect(tip).toContain(`${conn.label} ${conn.sublabel} — blocked on send: the peer is not reading`)
    expect(tip).toContain("the kernel's buffers toward the client are full")
    // The OS's own count of what the kernel holds unsent toward the client: megabytes, not the 64 KiB the server keeps.
    const [, amount, unit] = /send queue\s+([\d.]+) (kB|MB) unsent in the kernel/.exec(tip) ?? []
    expect(unit, tip).toBe('MB')
    expect(Number(amount)).toBeGreaterThan(0.5)
    await screenshot(page, 'lane-states-07-thread-blocked-on-send.png')
    await finished(bad)
  })

  it('a client that resets: its lane says it sent the RST, the server\'s that it got one, in tooltips and in the log', async () => {
    await freshTimeline()
    const run = await startServer('thread', '0')
    await runClients('reset', { count: '1', hold: '0.5' })
    const conn = await until('both sides of the reset closed', async () => (await lanesOf(run)).find((l) => l.kind === 'conn'), (l) => !!l && l.closes.length === 2)
    expect(conn!.closes).toEqual(expect.arrayContaining([
      { side: 'client', by: 'local', reset: 'sent' },
      { side: 'server', by: 'error', reset: 'received' },
    ]))
    await holdStill()
    const c = (await lanesOf(run)).find((l) => l.kind === 'conn')!
    const clientTip = await hover(c, c.clientCloseT!, 27)
    expect(clientTip).toContain('client close')
    expect(clientTip).toContain('reset by this side (RST')
    await screenshot(page, 'lane-states-05-reset-client-tooltip.png')
    // The server's error, its close and its thread's end come µs apart: zoom in to tell them apart.
    await zoomTo(c, c.serverCloseT!, 2000)
    const serverTip = await hover(c, c.serverCloseT!, 4)
    expect(serverTip).toContain('server close')
    expect(serverTip).toContain('reset by the peer (RST)')
    // The log row of the server's close says it too.
    const rows = await until('the server close in the log', () => page.$$eval('[data-testid=log-row]', (rs) => rs.map((r) => (r as HTMLElement).innerText)), (r) => r.some((t) => t.includes('reset by the peer (RST)')))
    expect(rows.some((t) => t.includes('reset by the peer (RST)'))).toBe(true)
    await screenshot(page, 'lane-states-06-reset-server-tooltip.png')
  })
})
