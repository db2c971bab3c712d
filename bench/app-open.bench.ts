/**
 * A million events opened the way a person opens them: `sockscope web FILE` (the built
 * app in web mode) in Debian's Chromium, the file read and checked in the app's worker,
 * loaded into its stores, and drawn. Figures: the app's own open time (its recording
 * banner's data-read-ms / data-open-ms: reading in the worker, and until every event is in
 * the store), then the interval between frames while the timeline zooms in and out and
 * pans by keyboard (the whole app: stores, panels and canvas). Screenshots, zoomed out and
 * zoomed in: test-results/bench/app-1m-*.png. "open to first frame", the figure a person waits on,
 * is until the canvas drew its first frame of the recording: the files read (by two workers at
 * once for a large file, recording/split-read.ts), the tracks derived, the lanes laid out, the
 * panels and the timeline drawn. The machine's load is printed beside it: on 2 shared cores it
 * moves every figure (bench/profile-open.ts says where the time goes, thread by thread).
 * The phases are the app's own marks (recording/open-marks.ts): read (worker started, files
 * read and checked), transfer (its store to the page), store (adopted, sorted into tracks),
 * derive (every track), first layout (the lanes), first frame (the panels rendered and the
 * canvas drawn).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fit } from '../src/renderer/timeline/viewport.ts'
import { haveChromium, openPage, startWeb } from '../test/e2e/browser.ts'
import { writeTrace } from './generate-trace.ts'
import type { BenchResult } from './run.ts'

const EVENTS = Number(process.env.SOCKSCOPE_BENCH_EVENTS) || 1_000_000
const CONNECTIONS = Math.max(1, Math.round(EVENTS / 100))
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'bench')

/** The canvas's label column and right margin (GEOMETRY_DEFAULTS, TimelineCanvas). */
const PLOT_LEFT = 196
const RIGHT_MARGIN = 14

const quantile = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/** The first event's time, the first accept's and the last event's, from the file's head and tail. */
function timeSpan(file: string): { first: number; firstAccept: number; last: number } {
  const fd = fs.openSync(file, 'r')
  try {
    const head = Buffer.alloc(1 << 20)
    fs.readSync(fd, head, 0, head.length, 0)
    const lines = head.toString('utf8').split('\n').slice(1, -1).map((l) => JSON.parse(l) as { kind: string; t: number })
    const tail = Buffer.alloc(1 << 16)
    const size = fs.fstatSync(fd).size
    fs.readSync(fd, tail, 0, tail.length, Math.max(0, size - tail.length))
    const last = JSON.parse(tail.toString('utf8').trimEnd().split('\n').at(-1)!) as { t: number }
    return { first: lines[0]!.t, firstAccept: lines.find((e) => e.kind === 'accept')!.t, last: last.t }
  } finally {
    fs.closeSync(fd)
  }
}

export default async function appOpenBench(): Promise<BenchResult[]> {
  if (!haveChromium) return [{ name: 'skipped', figures: { reason: 'Chromium is missing (apt-get install -y chromium)' } }]
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-bench-app-'))
  const file = path.join(dir, `trace-${EVENTS / 1000}k.ndjson`)
  const events = await writeTrace(file, { events: EVENTS, connections: CONNECTIONS })
  const bytes = fs.statSync(file).size
  const span = timeSpan(file)
  const web = await startWeb([file])
  const browser = await openPage(web.url)
  const { page } = browser
  try {
    const banner = page.getByTestId('recording-banner')
    await banner.waitFor({ timeout: 120_000 })
    await page.waitForFunction(() => document.querySelector('[data-testid=recording-banner]')?.getAttribute('data-open-ms'), undefined, { timeout: 120_000 })
    const readMs = Number(await banner.getAttribute('data-read-ms'))
    // The open's phases, from its marks (recording/open-marks.ts): each phase's end, in ms from the open.
    await page.waitForFunction(() => performance.getEntriesByName('sockscope:open:drawn').length > 0, undefined, { timeout: 120_000 })
    const ends = await page.evaluate(() => {
      const start = performance.getEntriesByName('sockscope:open').at(-1)!.startTime
      return Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('sockscope:open:')).map((m) => [m.name.slice('sockscope:open:'.length), m.startTime - start]))
    })
    const phase = (from: string, to: string) => ((ends[to] ?? Number.NaN) - (from ? (ends[from] ?? Number.NaN) : 0)).toFixed(0)
    fs.mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: path.join(SHOTS, 'app-1m-zoomed-out.png') })

    // Frame intervals while the keys zoom in (W), pan (D / A) and zoom out (S), zoomed out and
    // zoomed in: the page's own rAF times, each gesture's frames apart.
    await page.evaluate(() => {
      const w = window as unknown as { __frames: number[] }
      w.__frames = []
      let last = performance.now()
      const tick = (now: number) => {
        w.__frames.push(now - last)
        last = now
        requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })
    const frameCount = () => page.evaluate(() => (window as unknown as { __frames: number[] }).__frames.length)
    const twoFrames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    const gestures: { name: string; from: number; to: number }[] = []
    const gesture = async (name: string, act: () => Promise<void>) => {
      const from = await frameCount()
      await act()
      gestures.push({ name, from, to: await frameCount() })
    }
    const keys = (key: string, n: number) => async () => {
      for (let i = 0; i < n; i++) {
        await page.keyboard.press(key)
        await twoFrames()
      }
    }
    await page.getByTestId('timeline').focus()
    await gesture('zoomed out: pan', keys('d', 10))
    await gesture('zoom in (keys)', keys('w', 12))
    await gesture('zoomed in 12 steps: pan', keys('d', 10))
    await gesture('zoom out (keys)', keys('s', 12))
    // Zoomed in where the first connections are served: the wheel zooms at the pointer.
    await page.keyboard.press('0')
    await twoFrames()
    const box = (await page.getByTestId('timeline').boundingBox())!
    // Not the drawn snapshot (a copy of every lane, for tests of small runs): the view "fit all" shows, from the file.
    const view = fit(span.first, span.last, 0.02)
    const x = box.x + PLOT_LEFT + ((span.firstAccept - view.start) / (view.end - view.start)) * (box.width - RIGHT_MARGIN - PLOT_LEFT)
    await page.mouse.move(x, box.y + box.height / 2)
    await gesture('zoom in (wheel, to the first connections)', async () => {
      for (let i = 0; i < 14; i++) {
        await page.mouse.wheel(0, -300)
        await twoFrames()
      }
    })
    await gesture('zoomed in (wheel): pan', keys('a', 10))
    await page.mouse.move(box.x + box.width - 4, box.y + 4)
    await page.screenshot({ path: path.join(SHOTS, 'app-1m-zoomed-in.png') })
    const all = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames)
    // (The first interval is from before the gestures began.)
    const slice = (g: { from: number; to: number }) => all.slice(Math.max(1, g.from), g.to)
    const frames = all.slice(1)
    const frameFigures = (xs: readonly number[]) => ({ frames: xs.length, 'p50 ms': quantile(xs, 0.5).toFixed(1), 'p95 ms': quantile(xs, 0.95).toFixed(1), 'max ms': Math.max(...xs).toFixed(1) })
    return [
      {
        name: `app: open ${events.toLocaleString('en-US')} events (${(bytes / 1e6).toFixed(0)} MB)`,
        // The first figure is the one a person waits on: from the open until the page draws the recording (target 2000).
        figures: { 'OPEN TO FIRST FRAME ms': ends.drawn!.toFixed(0), 'until in the store ms': ends.loaded!.toFixed(0), 'load (1 min)': os.loadavg()[0]!.toFixed(2), cores: os.cpus().length },
      },
      {
        name: 'app: the open, phase by phase (ms)',
        figures: {
          read: phase('', 'read'),
          '(in the worker)': readMs.toFixed(0),
          transfer: phase('read', 'store'),
          'store (adopt, route)': phase('store', 'routed'),
          'loaded (done)': phase('routed', 'loaded'),
          derive: phase('loaded', 'derived'),
          'first layout': phase('derived', 'laid-out'),
          'first frame': phase('laid-out', 'drawn'),
        },
      },
      ...gestures.map((g) => ({ name: `app: frame interval, ${g.name}`, figures: frameFigures(slice(g)) })),
      { name: 'app: frame interval while zooming and panning, all', figures: frameFigures(frames) },
    ]
  } finally {
    await browser.close()
    await web.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
