import { Command, InvalidArgumentError, Option } from 'commander'
import { summarize, type ModelSummary } from '../compare/summary.ts'
import type { SockscopeEvent } from '../events.ts'
import { models } from '../models/index.ts'
import { workloads } from '../clients/workloads/index.ts'
import { ClientSpec, ServerSpec } from '../spec.ts'
import { fail, numberOption, openLab, stopWhenAsked } from './common.ts'

function modelList(value: string): string[] {
  const names = value.split(/[\s,]+/).filter(Boolean)
  const known = models.map((m) => m.name)
  const bad = names.find((n) => !known.includes(n))
  if (bad) throw new InvalidArgumentError(`--models takes 2 to 4 of ${known.join(', ')}, comma-separated, not '${bad}'`)
  if (names.length < 2 || names.length > 4 || new Set(names).size !== names.length)
    throw new InvalidArgumentError(`--models takes 2 to 4 different models, comma-separated, not '${value}'`)
  return names
}

const f = (n: number | null, digits = 3) => (n == null ? '-' : n.toFixed(digits))

/** The summary table, one row per model. */
export function formatTable(rows: (ModelSummary & { lost: string })[]): string {
  const head = ['model', 'total s', 'p50 s', 'p95 s', 'max s', 'queue wait s', 'procs', 'threads', 'RSS MB', 'CPU ms', 'bank']
  const body = rows.map((r) => [
    r.model,
    f(r.totalS),
    f(r.latency.p50),
    f(r.latency.p95),
    f(r.latency.max),
    f(r.longestQueueWaitS),
    String(r.peakProcesses),
    String(r.peakThreads),
    r.peakRssBytes == null ? '-' : (r.peakRssBytes / 2 ** 20).toFixed(0),
    f(r.cpuMs, 0),
    r.lost,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  return [head, ...body].map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n')
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('run one client workload against 2–4 models at once, each on its own port, and print a summary per model')
    .requiredOption('--models <list>', 'models to compare, comma-separated (2 to 4)', modelList)
    .addOption(new Option('-w, --workload <name>', 'client workload').choices(workloads.filter((w) => w.name !== 'interactive').map((w) => w.name)).default('burst'))
    .option('-a, --app <name>', 'application protocol (bank for the bank workload)')
    .option('-n, --count <n>', 'clients per model', numberOption('--count', ClientSpec.shape.count), 8)
    .option('-d, --delay <seconds>', 'simulated work per connection in each server', numberOption('--delay', ServerSpec.shape.delay), 1)
    .option('--ops <n>', 'bank: operations per client', numberOption('--ops', ClientSpec.shape.ops), 100)
    .option('--json', 'print {models: [{model, totalS, latency: {p50, p95, max}, ...}]}')
    .option('--trace <file>', 'write every event as NDJSON')
    .addHelpText('after', '\nExample:\n  sockscope compare --models iterative,fork,thread,select --workload burst --count 8 --delay 1')
    .action(async (opts) => {
      const names: string[] = opts.models
      const app = opts.app ?? (opts.workload === 'bank' ? 'bank' : 'echo-time')
      const { lab, shutdown } = await openLab(opts.trace, 'compare').catch(fail)
      const events: SockscopeEvent[] = []
      lab.onEvents((batch) => void events.push(...batch))
      stopWhenAsked(lab, () => void shutdown().then(() => process.exit(130), fail))
      try {
        const servers = await Promise.all(names.map((model) => lab.startServer({ model, app, port: 0, delay: app === 'bank' ? 0 : opts.delay })))
        // Every driver is started and ready first, so the loads begin together, not one driver boot apart.
        const runs = await Promise.all(
          servers.map((server) => lab.runClients({ workload: opts.workload, port: server.ports[0]!, count: opts.count, ops: opts.ops, words: ['Hello', 'network', 'world'] })),
        )
        const results = await Promise.all(runs.map((r) => r.results))
        await shutdown()
        const rows = names.map((model, i) => {
          const verdict = results[i]!.find((r) => r.verdict)?.verdict
          return { ...summarize(events, model, servers[i]!.id, runs[i]!.id), bank: verdict ?? null, lost: verdict ? verdict.headline : '-' }
        })
        if (opts.json) console.log(JSON.stringify({ workload: opts.workload, count: opts.count, delayS: opts.delay, models: rows.map(({ lost, ...r }) => r) }, null, 2))
        else console.log(`${opts.workload}, ${opts.count} clients, ${opts.delay} s delay, started together:\n${formatTable(rows)}`)
        const failed = results.flat().filter((r) => r.error).length
        process.exit(failed ? 1 : 0)
      } catch (err) {
        await shutdown().catch(fail)
        fail(err)
      }
    })
}
