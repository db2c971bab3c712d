/**
 * `node bench/profile-open.ts [FILE] [--out DIR]`: where opening a trace spends its CPU, in
 * every thread of the page (the page's own and the parse workers'): the built app in web
 * mode opens FILE (default: a generated 1M-event trace) in Debian's Chromium under V8's
 * sampling profiler (Chromium's tracing, so workers are sampled too), until the open's
 * `drawn` mark. Prints, per thread, the functions with the most self time and the most
 * total time, and writes the whole trace (DIR/open-trace.json, for the browser's
 * performance panel or ui.perfetto.dev). `--summarize DIR/open-trace.json` prints a written one again.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { CHROMIUM, startWeb } from '../test/e2e/browser.ts'
import { writeTrace } from './generate-trace.ts'

interface ProfileNode {
  id: number
  parent?: number
  callFrame: { functionName: string; url?: string; lineNumber: number }
}
interface TraceEvent {
  name: string
  ph: string
  pid: number
  tid: number
  id?: string
  ts: number
  args: { name?: string; data?: { startTime?: number; cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }; timeDeltas?: number[] } }
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, top: { type: 'string' }, summarize: { type: 'string' } } })
const TOP = Number(values.top) || 25
const outDir = values.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'bench')
if (values.summarize) {
  summarize((JSON.parse(fs.readFileSync(values.summarize, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents)
  process.exit(0)
}
let file = positionals[0]
let made: string | undefined
if (!file) {
  made = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-profile-'))
  file = path.join(made, 'trace-1m.ndjson')
  await writeTrace(file, { events: 1_000_000, connections: 10_000 })
}

const web = await startWeb([file])
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] })
try {
  const cdp = await browser.newBrowserCDPSession()
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: { includedCategories: ['disabled-by-default-v8.cpu_profiler', 'v8', 'devtools.timeline', 'blink.user_timing', '__metadata'] },
  })
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, colorScheme: 'dark' })
  await page.goto(web.url)
  await page.waitForFunction(() => performance.getEntriesByName('sockscope:open:drawn').length > 0, undefined, { timeout: 180_000 })
  const marks = await page.evaluate(() => {
    const start = performance.getEntriesByName('sockscope:open').at(-1)!.startTime
    return performance
      .getEntriesByType('mark')
      .filter((m) => m.name.startsWith('sockscope:open:'))
      .map((m) => `${m.name.slice('sockscope:open:'.length)} ${(m.startTime - start).toFixed(0)}`)
  })
  const complete = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (e) => resolve(e.stream!)))
  await cdp.send('Tracing.end')
  const stream = await complete
  let text = ''
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 22 })
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data
    if (chunk.eof) break
  }
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(path.join(outDir, 'open-trace.json'), text)
  const events = (JSON.parse(text) as { traceEvents: TraceEvent[] }).traceEvents
  console.log(`marks (ms from the open): ${marks.join(', ')}, load ${os.loadavg()[0]!.toFixed(2)}`)
  summarize(events)
} finally {
  await browser.close()
  await web.stop()
  if (made) fs.rmSync(made, { recursive: true, force: true })
}

/** Self and total time by function, per sampled thread, from the trace's profile chunks. */
function summarize(events: readonly TraceEvent[]): void {
  const threadNames = new Map<string, string>()
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name ?? '')
  const profiles = new Map<string, { thread: string; nodes: Map<number, ProfileNode>; samples: number[]; deltas: number[] }>()
  for (const e of events) {
    if (e.name !== 'Profile' && e.name !== 'ProfileChunk') continue
    const key = `${e.pid}:${e.id}`
    let p = profiles.get(key)
    if (!p) profiles.set(key, (p = { thread: threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`, nodes: new Map(), samples: [], deltas: [] }))
    const data = e.args.data
    for (const n of data?.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n)
    p.samples.push(...(data?.cpuProfile?.samples ?? []))
    p.deltas.push(...(data?.timeDeltas ?? []))
  }
  for (const p of profiles.values()) {
    const self = new Map<string, number>()
    const total = new Map<string, number>()
    let all = 0
    const name = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${(n.callFrame.url ?? '').split('/').at(-1)}:${n.callFrame.lineNumber + 1}`
    for (let i = 0; i < p.samples.length; i++) {
      const ms = (p.deltas[i + 1] ?? 0) / 1000
      const node = p.nodes.get(p.samples[i]!)
      if (!node || node.callFrame.functionName === '(idle)') continue
      all += ms
      self.set(name(node), (self.get(name(node)) ?? 0) + ms)
      const seen = new Set<string>()
      for (let n: ProfileNode | undefined = node; n; n = n.parent === undefined ? undefined : p.nodes.get(n.parent)) {
        const k = name(n)
        if (seen.has(k)) continue
        seen.add(k)
        total.set(k, (total.get(k) ?? 0) + ms)
      }
    }
    if (all < 50) continue
    const top = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP)
        .map(([k, v]) => `    ${v.toFixed(0).padStart(6)} ms  ${k}`)
        .join('\n')
    console.log(`\n${p.thread}: ${all.toFixed(0)} ms busy\n  self:\n${top(self)}\n  total:\n${top(total)}`)
  }
}
