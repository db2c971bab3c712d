import { Command, InvalidArgumentError, Option } from 'commander'
import { summarize, type ModelSummary } from '../compare/summary.ts'
import type { SockscopeEvent } from '../events.ts'
import { compareWorkloads, parseCompareSpec, startCompare } from '../compare/run.ts'
import { models } from '../models/index.ts'
import { ClientSpec, LOCK_MODES, ServerSpec } from '../spec.ts'
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

/** The summary table, one row per model; the bank's verdict in a last column when the app is the bank. */
export function formatTable(rows: (ModelSummary & { lost: string })[], options: { bank?: boolean } = {}): string {
  const head = ['model', 'total s', 'p50 s', 'p95 s', 'max s', 'queue wait s', 'handler start s', 'procs', 'threads', 'RSS MB', 'CPU ms', ...(options.bank ? ['bank'] : [])]
  const body = rows.map((r) => [
    r.model,
    f(r.totalS),
    f(r.latency.p50),
    f(r.latency.p95),
    f(r.latency.max),
    f(r.longestQueueWaitS),
    f(r.longestHandlerStartS),
    String(r.peakProcesses),
    String(r.peakThreads),
    r.peakRssBytes == null ? '-' : (r.peakRssBytes / 2 ** 20).toFixed(0),
    f(r.cpuMs, 0),
    ...(options.bank ? [r.lost] : []),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  return [head, ...body].map((row) => row.map((c, i) => (i === 0 || i === 11 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n')
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('run one client workload against 2–4 models at once, each on its own port, and print a summary per model')
    .requiredOption('--models <list>', 'models to compare, comma-separated (2 to 4)', modelList)
    .addOption(new Option('-w, --workload <name>', 'client workload').choices(compareWorkloads()).default('burst'))
    .option('-a, --app <name>', 'application protocol (default: bank for the bank workload, else echo-time)')
    .option('-n, --count <n>', 'clients per model', numberOption('--count', ClientSpec.shape.count), 8)
    .option('-d, --delay <seconds>', 'simulated work per connection in each server (not the bank\'s)', numberOption('--delay', ServerSpec.shape.delay), 1)
    .option('--ops <n>', 'bank: operations per client', numberOption('--ops', ClientSpec.shape.ops), 100)
    .addOption(new Option('--lock <mode>', 'bank: guard each update with the lock (off: updates can be lost)').choices([...LOCK_MODES]).default('on'))
    .option('--json', 'print {models: [{model, totalS, latency: {p50, p95, max}, ..., runs: {server, clients}}]}')
    .option('--trace <file>', 'write every event as NDJSON')
    .addHelpText('after', '\nExample:\n  sockscope compare --models iterative,fork,thread,select --workload burst --count 8 --delay 1\n  sockscope compare --models iterative,thread,asyncio --workload bank --lock off')
    .action(async (opts) => {
      let spec: ReturnType<typeof parseCompareSpec>
      try {
        spec = parseCompareSpec({ models: opts.models, workload: opts.workload, app: opts.app, count: opts.count, delay: opts.delay, ops: opts.ops, lock: opts.lock })
      } catch (err) {
        fail(err)
      }
      const { lab, shutdown } = await openLab(opts.trace, 'compare').catch(fail)
      const events: SockscopeEvent[] = []
      lab.onEvents((batch) => void events.push(...batch))
      stopWhenAsked(lab, () => void shutdown().then(() => process.exit(130), fail))
      try {
        const pairs = await startCompare(lab, spec)
        const results = await Promise.all(pairs.map((p) => p.clients.results))
        await shutdown()
        const rows = pairs.map(({ model, server, clients }, i) => {
          const verdict = results[i]!.find((r) => r.verdict)?.verdict ?? null
          return { ...summarize(events, model, server.id, clients.id), runs: { server: server.id, clients: clients.id }, bank: verdict, lost: verdict ? verdict.headline : '-' }
        })
        const bank = spec.app === 'bank'
        if (opts.json) console.log(JSON.stringify({ workload: spec.workload, app: spec.app, count: spec.count, delayS: spec.delay, ...(bank && { lock: spec.lock }), models: rows.map(({ lost, ...r }) => r) }, null, 2))
        else {
          const load = bank ? `${spec.ops} operations each, lock ${spec.lock}` : `${spec.delay} s delay`
          console.log(`${spec.workload}, ${spec.count} clients per model, ${load}, started together:\n${formatTable(rows, { bank })}`)
        }
        const failed = results.flat().filter((r) => r.error).length
        process.exit(failed ? 1 : 0)
      } catch (err) {
        await shutdown().catch(fail)
        fail(err)
      }
    })
}
