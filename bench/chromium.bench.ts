/**
 * A million events in Chromium (Debian's /usr/bin/chromium through playwright-core, as
 * the e2e tests drive it): the bench page (bench/browser, built by Vite from the real
 * renderer modules) opens the generated trace (1,000,000 events, 10,000 connections) into
 * the real EventStore and TraceModel, derives every track and lays out the lanes, then
 * draws the timeline in requestAnimationFrame while zooming in, panning, scrolling through
 * the lanes and zooming out, on a 1920×1080 canvas. Figures: open time, draw time per
 * frame (p50 / p95 / max over each gesture and over all 360 frames), the frame interval,
 * and bytes per event: the JS heap after GC (CDP) and, where the page is cross-origin
 * isolated, all the page's memory (measureUserAgentSpecificMemory, typed arrays included).
 */
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { build } from 'vite'
import type { FrameFigures, OpenFigures } from './browser/main.ts'
import type { BenchResult } from './run.ts'

const CHROMIUM = '/usr/bin/chromium'
const here = path.dirname(fileURLToPath(import.meta.url))
const pageDir = path.join(here, 'browser')
const dist = path.join(pageDir, 'dist')
/** SOCKSCOPE_BENCH_EVENTS makes a smaller trace (connections in proportion), for a quick look. */
const EVENTS = Number(process.env.SOCKSCOPE_BENCH_EVENTS) || 1_000_000
const CONNECTIONS = Math.max(1, Math.round(EVENTS / 100))

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }

/** The built page on 127.0.0.1, cross-origin isolated (COOP / COEP) so that it may measure its own memory. */
function serve(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const file = path.join(dist, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname))
    if (!file.startsWith(dist + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    })
    fs.createReadStream(file).pipe(res)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

const quantile = (xs: readonly number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

export default async function chromiumBench(): Promise<BenchResult[]> {
  if (!fs.existsSync(CHROMIUM)) return [{ name: 'skipped', figures: { reason: `${CHROMIUM} is missing (apt-get install -y chromium)` } }]
  await build({ configFile: path.join(pageDir, 'vite.config.ts') })
  const server = await serve()
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-bench-chromium-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--enable-blink-features=ForceEagerMeasureMemory'],
    viewport: { width: 1920, height: 1080 },
  })
  try {
    const page = context.pages()[0] ?? (await context.newPage())
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.stack ?? err.message))
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    await page.waitForFunction(() => 'sockscopeBench' in window)
    // A session of its own for each reading, detached at once: a heap profiler left attached
    // slows every allocation and GC after it (a million-event open went from seconds to minutes).
    const heap = async () => {
      const cdp = await context.newCDPSession(page)
      try {
        await cdp.send('HeapProfiler.collectGarbage')
        await cdp.send('HeapProfiler.collectGarbage')
        return (await cdp.send('Runtime.getHeapUsage')).usedSize
      } finally {
        await cdp.send('HeapProfiler.disable').catch(() => {})
        await cdp.detach()
      }
    }
    const allMemory = () =>
      page.evaluate(async () => {
        const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory
        return crossOriginIsolated && measure ? (await measure.call(performance)).bytes : null
      })
    const heapBefore = await heap()
    const allBefore = await allMemory()
    const open = await page.evaluate((o) => window.sockscopeBench.open(o), { events: EVENTS, connections: CONNECTIONS })
    const heapAfter = await heap()
    const allAfter = await allMemory()
    const frames: FrameFigures = await page.evaluate(() => window.sockscopeBench.frames({ width: 1920, height: 1080 }))
    // Again with the columns sized ahead, as an open of a file of known size can.
    const reserved = await page.evaluate((o) => window.sockscopeBench.open(o), { events: EVENTS, connections: CONNECTIONS, reserve: true })
    if (errors.length) throw new Error(`the bench page failed: ${errors.join('\n')}`)
    const all = Object.values(frames.draw).flat()
    const f = (xs: number[]) => `${quantile(xs, 0.5).toFixed(1)} / ${quantile(xs, 0.95).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`
    const o: OpenFigures = open
    return [
      {
        name: `open ${o.events} events, ${o.connections} connections`,
        figures: {
          'append ms': o.appendMs.toFixed(0),
          'route ms': o.routeMs.toFixed(0),
          'derive ms': o.deriveMs.toFixed(0),
          'layout ms': o.layoutMs.toFixed(0),
          'open ms (append+route+derive+layout)': (o.appendMs + o.routeMs + o.deriveMs + o.layoutMs).toFixed(0),
          'generating ms (not counted)': o.generateMs.toFixed(0),
          lanes: o.lanes,
        },
      },
      {
        name: `open again, columns reserved`,
        figures: {
          'append ms': reserved.appendMs.toFixed(0),
          'route ms': reserved.routeMs.toFixed(0),
          'derive ms': reserved.deriveMs.toFixed(0),
          'layout ms': reserved.layoutMs.toFixed(0),
          'open ms': (reserved.appendMs + reserved.routeMs + reserved.deriveMs + reserved.layoutMs).toFixed(0),
        },
      },
      {
        name: 'memory after GC, per event',
        figures: {
          'JS heap B': ((heapAfter - heapBefore) / o.events).toFixed(1),
          'store (typed arrays + text) B': (o.storeBytes / o.events).toFixed(1),
          'all the page’s memory B': allBefore !== null && allAfter !== null ? ((allAfter - allBefore) / o.events).toFixed(1) : 'n/a (not cross-origin isolated)',
        },
      },
      ...(Object.entries(frames.draw) as [string, number[]][]).map(([what, xs]) => ({ name: `frames ${what} (${xs.length})`, figures: { 'draw ms p50 / p95 / max': f(xs) } })),
      {
        name: `frames, all (${all.length})`,
        figures: { 'draw ms p50 / p95 / max': f(all), 'interval ms p50 / p95': `${quantile(frames.intervals, 0.5).toFixed(1)} / ${quantile(frames.intervals, 0.95).toFixed(1)}` },
      },
    ]
  } finally {
    await context.close()
    fs.rmSync(userDataDir, { recursive: true, force: true })
    server.close()
  }
}
