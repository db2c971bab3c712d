import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { handlerStarts, lostUpdates } from '../../../src/servers/compare/summary.ts'
import { inServiceSeries } from '../../../src/servers/compare/series.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { cli } from '../../helpers/cli.ts'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-compare-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Row {
  model: string
  totalS: number
  latency: { p50: number; p95: number; max: number }
  clients: number
  longestQueueWaitS: number
  longestHandlerStartS: number
  peakProcesses: number
  peakThreads: number
  lostUpdates: number | null
  runs: { server: string; clients: string }
}

/** Each client's close, by connection. */
function clientCloses(events: SockscopeEvent[], clientRun: string): Map<string, number> {
  const closes = new Map<string, number>()
  for (const e of events) if (e.kind === 'close' && e.src.run === clientRun && !closes.has(e.conn)) closes.set(e.conn, e.t)
  return closes
}

describe('sockscope compare', () => {
  it('burst, 8 clients: iterative and select take about 8 × delay, thread and fork serve all at once', async () => {
    // 1 s, not less: with the machine busy (load average 5 to 17 here), 0.5 s of sleep was
    // within the noise of a few hundred ms that every model's run picks up.
    const delay = 1
    const trace = path.join(tmp, 'burst.ndjson')
    const run = await cli(['compare', '--models', 'iterative,fork,thread,select', '--workload', 'burst', '--count', '8', '--delay', String(delay), '--json', '--trace', trace])
    expect(run.stderr.join('\n')).toBe('')
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout.join('\n')) as { workload: string; count: number; delayS: number; models: Row[] }
    expect(out).toMatchObject({ workload: 'burst', count: 8, delayS: delay })
    const by = Object.fromEntries(out.models.map((m) => [m.model, m]))
    expect(Object.keys(by)).toEqual(['iterative', 'fork', 'thread', 'select'])
    for (const m of out.models) expect(m.clients, m.model).toBe(8)
    const ratio = (m: Row) => m.totalS / delay

    // One at a time: the 8th client waits for the 7 before it (the ideal is 8 × delay).
    expect(ratio(by.iterative!)).toBeGreaterThanOrEqual(6)
    expect(by.iterative!.longestQueueWaitS / delay).toBeGreaterThanOrEqual(5)
    // select (seed 001 with the seed's sleep): every connection is accepted at once, and the
    // sleep in one handler stops the loop for all of them: as long as iterative.
    expect(ratio(by.select!)).toBeGreaterThanOrEqual(6)
    expect(by.thread!.peakThreads).toBeGreaterThan(by.iterative!.peakThreads)
    expect(by.fork!.peakProcesses).toBeGreaterThan(1)
    expect(by.iterative!.peakProcesses).toBe(1)

    // A thread per connection: compare starts the load once the server's 8 spare workers
    // are booted, so all eight sleep at once (ideal 1 × delay).
    expect(ratio(by.thread!)).toBeLessThanOrEqual(2.5)
    // fork: every connection is served at once too, but each child is a Node process started
    // for it (fork keeps no spares), whose boot stands where a 2 ms fork() would; measured on
    // this 2-core machine with the other helpers' tests running (load average 5 to 17), fork
    // took 2.1–15.8 × delay, its children booting for 1.5–5 s (the table's "handler start").
    // So its total is not held to 1 ×; what is: it serves many connections at once (iterative
    // one), and once a connection's child is up it is served in about 1 × delay (≤ 2.5 ×).
    const { events } = await readTrace(trace)
    expect(Math.max(...inServiceSeries(events, by.iterative!.runs.server).v)).toBe(1)
    for (const model of ['thread', 'fork']) {
      const { server, clients } = by[model]!.runs
      expect(Math.max(...inServiceSeries(events, server).v), model).toBeGreaterThanOrEqual(4)
      const accepted = new Map(events.filter((e) => e.kind === 'accept' && e.src.run === server).map((e) => [(e as { conn: string }).conn, e.t]))
      const started = handlerStarts(events, server)
      expect(started.size, model).toBe(8)
      const served = [...clientCloses(events, clients)].map(([conn, t]) => (t - accepted.get(conn)! - started.get(conn)!) / 1e6)
      expect(Math.max(...served) / delay, model).toBeLessThanOrEqual(2.5)
    }
    expect(by.fork!.longestHandlerStartS).toBeGreaterThan(0)
    expect(by.iterative!.longestHandlerStartS).toBe(0)
  }, 60_000)

  it('bank without the lock: the table says which models lost updates, and the figures match the audit', async () => {
    const trace = path.join(tmp, 'bank.ndjson')
    const run = await cli(['compare', '--models', 'iterative,thread,fork', '--workload', 'bank', '--count', '4', '--ops', '30', '--lock', 'off', '--trace', trace])
    expect(run.code).toBe(0)
    const [title, head, ...rows] = run.stdout.filter(Boolean)
    expect(title).toBe('bank, 4 clients per model, 30 operations each, lock off, started together:')
    expect(head!.split(/\s{2,}/)).toEqual(['model', 'total s', 'p50 s', 'p95 s', 'max s', 'queue wait s', 'handler start s', 'procs', 'threads', 'RSS MB', 'CPU ms', 'bank'])
    expect(rows.map((r) => r.split(' ')[0])).toEqual(['iterative', 'thread', 'fork'])
    const cells = (model: string) => rows.find((r) => r.startsWith(model))!.split(/\s{2,}/)
    for (const model of ['iterative', 'thread', 'fork']) {
      const row = cells(model)
      expect(row).toHaveLength(12)
      for (const figure of row.slice(1, 11)) expect(figure).toMatch(/^\d+(\.\d{3})?$/)
    }
    // One at a time loses nothing; a forked child's copy loses every update.
    expect(cells('iterative')[11]).toMatch(/^no update lost — balance \d+, as expected$/)
    expect(cells('fork')[11]).toMatch(/^\d+ updates lost — balance 0, expected \d+$/)
    // Threads without the lock may lose some or (rarely, on a busy machine) none: the race is real, not staged.
    expect(cells('thread')[11]).toMatch(/^(\d+ updates? lost|no update lost) — balance \d+, (expected|as expected)/)

    // The figure from the events alone (what the app's compare view shows, for a reopened recording too) is the audit's.
    const { events } = await readTrace(trace)
    for (const model of ['iterative', 'thread', 'fork']) {
      const run = events.find((e) => e.kind === 'listen' && e.model === model)!.src.run
      const audited = Number(/^(\d+) updates? lost/.exec(cells(model)[11]!)?.[1] ?? 0)
      expect(lostUpdates(events, run), model).toBe(audited)
    }
  }, 60_000)

  it('refuses a bad model list with a usage error, starting nothing', async () => {
    const bad = await cli(['compare', '--models', 'thread,nope'])
    expect(bad.code).toBe(2)
    expect(bad.stderr[0]).toMatch(/--models takes 2 to 4 of iterative, .*, not 'nope' \(BAD_OPTION\)$/)
  }, 30_000)
})
