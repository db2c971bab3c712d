/**
 * The live UI under load (issue 12): `sockscope web` in Debian's Chromium, a select echo
 * server started from the app's own form, and 100 connections of 64-byte ping-pong driven
 * at it by the C load generator (bench/load) — server, load generator and browser on the
 * same cores. In
 * the page: the interval between animation frames (rAF times, p50/p95), long tasks, the
 * events arriving in the store per second, and the time from a click on a connection's
 * lane to the first drawn frame that shows it selected. Screenshots during the load:
 * test-results/bench/live-ui-*.png. SOCKSCOPE_BENCH_PROFILE=1 also writes a CPU profile of
 * the page (test-results/bench/live-ui.cpuprofile) and prints where its time went.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { haveChromium, openPage, startWeb, until } from '../test/e2e/browser.ts'
import type { FrameProbe } from '../src/renderer/timeline/drawn.ts'
import { loadGenerator, type LoadResult } from './load/load-generator.ts'
import type { BenchResult } from './run.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const SHOTS = path.join(here, '..', 'test-results', 'bench')
const CONNECTIONS = Number(process.env.SOCKSCOPE_BENCH_CONNECTIONS) || 100
/** How long frames are measured, under load (after a warm-up). */
const MEASURE_MS = Number(process.env.SOCKSCOPE_BENCH_SECONDS ?? 10) * 1000
const WARMUP_MS = 3000
const CLICKS = 8
/** The load goes on this long after the measured window: through the clicks. */
const LOAD_AFTER_MS = 30_000
const PROFILE = process.env.SOCKSCOPE_BENCH_PROFILE === '1'
/** The canvas's label column and axis (GEOMETRY_DEFAULTS). */
const PLOT_LEFT = 196
const AXIS = 30

type Probe = (FrameProbe & { events: number }) | null

const quantile = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}
const probe = (page: Page): Promise<Probe> => page.evaluate(() => (globalThis as unknown as { __sockscope: { probe(): Probe } }).__sockscope.probe())

/**
 * The C load generator (bench/load) in its own process, for long enough to cover the
 * warm-up, the measured window and the clicks; `result()` is what it measured.
 */
async function startLoad(port: number): Promise<{ result: () => Promise<LoadResult> }> {
  const gen = await loadGenerator()
  const running = gen.run({ port, connections: CONNECTIONS, durationMs: WARMUP_MS + MEASURE_MS + LOAD_AFTER_MS })
  running.catch(() => {})
  return { result: () => running }
}

/** Start a select echo server from the form, with no delay; its port. */
async function startSelectServer(page: Page): Promise<number> {
  await page.getByTestId('server-model').selectOption('select')
  await page.getByTestId('server-app').selectOption('echo')
  // The form's default delay (a lesson's: the loop blocks per connection) would hold the load off.
  await page.getByTestId('server-delay').fill('0')
  await page.getByTestId('start-server').click()
  const row = page.locator('[data-testid=run-row][data-state=running]').first()
  await row.waitFor({ timeout: 20_000 })
  const title = await row.locator('.title').innerText()
  const m = /:(\d+)/.exec(title)
  if (!m) throw new Error(`no port in the server's run row: ${title}`)
  return Number(m[1])
}

/** The page's own record of frames and long tasks, from now on. */
async function recordFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __longTasks: number[] }
    w.__frames = []
    w.__longTasks = []
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration)
    }).observe({ type: 'longtask', buffered: false })
    let last = performance.now()
    const tick = (now: number) => {
      w.__frames.push(now - last)
      last = now
      requestAnimationFrame(tick)
    }
    requestAnimationFrame(tick)
  })
}

/**
 * Click a connection lane on screen and time from the click (the pointerdown's timestamp)
 * to the first drawn frame whose selection is that connection. Alternates between two
 * lanes so that every click changes what is shown.
 */
async function clickToFrame(page: Page): Promise<number[]> {
  const box = (await page.getByTestId('timeline').boundingBox())!
  const latencies: number[] = []
  await page.evaluate(() => {
    const w = window as unknown as { __downAt: number }
    w.__downAt = 0
    document.addEventListener('pointerdown', (e) => (w.__downAt = e.timeStamp), { capture: true })
  })
  for (let i = 0; i < CLICKS; i++) {
    const p = await until('connection lanes on screen', () => probe(page), (p) => (p?.connLanes.length ?? 0) >= 2, 20_000)
    const target = p!.connLanes[i % 2 === 0 ? 0 : 1]!
    if (p!.selectedConn === target.conn) continue
    await page.mouse.click(box.x + PLOT_LEFT + (box.width - PLOT_LEFT) * 0.5, box.y + AXIS + target.y + target.height / 2)
    const latency = await page.evaluate(
      (conn) =>
        new Promise<number>((resolve) => {
          const hook = (globalThis as unknown as { __sockscope: { probe(): Probe } }).__sockscope
          const started = performance.now()
          const check = () => {
            const p = hook.probe()
            const downAt = (window as unknown as { __downAt: number }).__downAt
            if (p && downAt && p.selectedConn === conn && p.drawnAt >= downAt) return resolve(p.drawnAt - downAt)
            if (performance.now() - started > 15_000) return resolve(Number.POSITIVE_INFINITY)
            requestAnimationFrame(check)
          }
          check()
        }),
      target.conn,
    )
    // A click no frame showed within 15 s counts as infinite (the figures say how many).
    latencies.push(latency)
  }
  return latencies
}

interface TraceEvent {
  name: string
  ph: string
  dur?: number
  tid: number
  pid: number
  args?: { name?: string; beginData?: { dirtyObjects?: number; totalObjects?: number } }
}

/** Time by event name on the renderer's main thread (nested events counted in each), as % of the wall time. */
function traceTimes(events: readonly TraceEvent[], seconds: number, n: number): string[] {
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
  if (!main) return ['(no renderer main thread in the trace)']
  const total = new Map<string, number>()
  for (const e of events) if (e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur) total.set(e.name, (total.get(e.name) ?? 0) + e.dur)
  const layouts = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.name === 'Layout' && e.args?.beginData)
  const avg = (f: (e: TraceEvent) => number) => (layouts.reduce((sum, e) => sum + f(e), 0) / Math.max(1, layouts.length)).toFixed(0)
  return [
    ...[...total.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => `trace ${((100 * us) / 1e6 / seconds).toFixed(1).padStart(5)}%  ${name}`),
    `layouts ${layouts.length}, objects laid out: ${avg((e) => e.args!.beginData!.dirtyObjects ?? 0)} of ${avg((e) => e.args!.beginData!.totalObjects ?? 0)} on average`,
  ]
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

/** Self time by function (top `n`), from a CPU profile. */
function selfTimes(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }, n: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!
    const f = node.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`)
}

export default async function liveUiBench(): Promise<BenchResult[]> {
  if (!haveChromium) return [{ name: 'skipped', figures: { reason: 'Chromium is missing (apt-get install -y chromium)' } }]
  const web = await startWeb()
  const browser = await openPage(web.url)
  const { page } = browser
  let load: Awaited<ReturnType<typeof startLoad>> | undefined
  try {
    await page.getByTestId('start-server').waitFor()
    await until('the lab connected', () => page.getByTestId('start-server').isEnabled(), (on) => on)
    const port = await startSelectServer(page)
    load = await startLoad(port)
    await until('events arriving', () => probe(page), (p) => (p?.events ?? 0) > 1000, 30_000)
    await page.waitForTimeout(WARMUP_MS)
    fs.mkdirSync(SHOTS, { recursive: true })

    // Where the main thread's time goes, as Chromium counts it (script, style, layout, the rest).
    const metrics = await page.context().newCDPSession(page)
    await metrics.send('Performance.enable')
    const readMetrics = async () => Object.fromEntries((await metrics.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const metricsBefore = await readMetrics()
    const cdp = PROFILE ? await page.context().newCDPSession(page) : undefined
    if (cdp) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
      await cdp.send('Profiler.start')
    }
    // A short trace of the renderer's main thread (profile mode): time by trace event, beside the JS profile.
    const tracing = PROFILE ? await page.context().newCDPSession(page) : undefined
    const traceEvents: TraceEvent[] = []
    if (tracing) {
      tracing.on('Tracing.dataCollected', ({ value }) => traceEvents.push(...(value as unknown as TraceEvent[])))
      await tracing.send('Tracing.start', { categories: 'devtools.timeline,v8,blink,cc,gpu,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' })
    }
    const before = (await probe(page))!
    const startedAt = Date.now()
    await recordFrames(page)
    await page.waitForTimeout(MEASURE_MS / 2)
    await page.screenshot({ path: path.join(SHOTS, 'live-ui-following.png') })
    await page.waitForTimeout(MEASURE_MS / 2)
    const after = (await probe(page))!
    const seconds = (Date.now() - startedAt) / 1000
    const metricsAfter = await readMetrics()
    const share = (name: string) => `${((100 * (metricsAfter[name]! - metricsBefore[name]!)) / seconds).toFixed(0)}%`
    const { frames, longTasks } = await page.evaluate(() => {
      const w = window as unknown as { __frames: number[]; __longTasks: number[] }
      return { frames: w.__frames.slice(1), longTasks: w.__longTasks.slice() }
    })
    let breakdown: string[] = []
    if (tracing) {
      const done = new Promise((r) => tracing.once('Tracing.tracingComplete', r))
      await tracing.send('Tracing.end')
      await done
      breakdown.push(...traceTimes(traceEvents, seconds, 20))
    }
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop')
      fs.writeFileSync(path.join(SHOTS, 'live-ui.cpuprofile'), JSON.stringify(profile))
      breakdown.push(...selfTimes(profile as never, 25))
    }

    const clicks = await clickToFrame(page)
    await page.screenshot({ path: path.join(SHOTS, 'live-ui-selected.png') })
    const loadResult = await load.result()
    for (const line of breakdown) console.log(`    ${line}`)
    return [
      {
        name: `live UI: select, ${CONNECTIONS} connections ping-pong`,
        figures: {
          'events/s arriving': Math.round((after.events - before.events) / seconds),
          'round trips/s (load generator, whole run)': Math.round(loadResult.roundTripsPerSecond),
          served: `${loadResult.served}/${loadResult.connections}`,
          'frames/s drawn': ((after.frames - before.frames) / seconds).toFixed(1),
        },
      },
      {
        name: 'live UI: frame interval (rAF)',
        figures: { frames: frames.length, 'p50 ms': quantile(frames, 0.5).toFixed(1), 'p95 ms': quantile(frames, 0.95).toFixed(1), 'max ms': Math.max(...frames).toFixed(1) },
      },
      {
        name: 'live UI: main thread busy (of wall time)',
        figures: { tasks: share('TaskDuration'), script: share('ScriptDuration'), style: share('RecalcStyleDuration'), layout: share('LayoutDuration') },
      },
      {
        name: 'live UI: long tasks',
        figures: { count: longTasks.length, 'total ms': longTasks.reduce((a, b) => a + b, 0).toFixed(0), 'max ms': Math.max(0, ...longTasks).toFixed(0) },
      },
      {
        name: 'live UI: click → frame that shows it',
        figures: { clicks: clicks.length, 'p50 ms': quantile(clicks, 0.5).toFixed(0), 'max ms': Math.max(...clicks).toFixed(0) },
      },
    ]
  } finally {
    await load?.result().catch(() => {})
    await browser.close()
    await web.stop()
  }
}
