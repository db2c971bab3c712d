import { createInterface } from 'node:readline'
import { Command, InvalidArgumentError, Option } from 'commander'
import { workloads } from '../clients/workloads/index.ts'
import { BANK_OPS, ClientSpec } from '../spec.ts'
import { fail, numberOption, openLab, stopWhenAsked } from './common.ts'
import { formatEvent, formatResult } from './format.ts'

function mixOption(value: string): string[] {
  const ops = value.split(/[\s,]+/).filter(Boolean)
  if (!ops.length || ops.some((op) => !(BANK_OPS as readonly string[]).includes(op)))
    throw new InvalidArgumentError(`--mix takes dp and wd, comma-separated (like dp,dp,wd), not '${value}'.`)
  return ops
}

export function clientsCommand(): Command {
  return new Command('clients')
    .description("run a client workload against a server and print each client's replies and time")
    .requiredOption('-p, --port <n>', 'server port', numberOption('--port', ClientSpec.shape.port))
    .option('--host <address>', 'server address', '127.0.0.1')
    .addOption(new Option('-w, --workload <name>', 'client workload').choices(workloads.map((w) => w.name)).default('burst'))
    .option('-n, --count <n>', 'number of clients', numberOption('--count', ClientSpec.shape.count), 8)
    .option('--words <text>', 'words each client sends, one message per word', 'Hello network world')
    .option('--timeout <seconds>', 'give up on a silent connection after this long', numberOption('--timeout', ClientSpec.shape.timeout), 60)
    .option('--interval <ms>', 'staggered: ms between one client and the next', numberOption('--interval', ClientSpec.shape.interval), 200)
    .option('--ops <n>', 'bank: operations per client', numberOption('--ops', ClientSpec.shape.ops), 100)
    .option('--mix <ops>', 'bank: the cycle of operations each client repeats', mixOption, ['dp', 'dp', 'wd'])
    .option('--account <name>', 'bank: the account every client uses', 'jack')
    .option('--chunk <bytes>', 'length-prefixed: bytes per piece sent', numberOption('--chunk', ClientSpec.shape.chunk), 1)
    .option('--gap <ms>', 'length-prefixed: ms between pieces', numberOption('--gap', ClientSpec.shape.gap), 5)
    .option('--hold <seconds>', 'bad clients: how long they stay connected', numberOption('--hold', ClientSpec.shape.hold), 2)
    .option('--bytes <n>', 'no-read, oversize: how many bytes to send', numberOption('--bytes', ClientSpec.shape.bytes), 8 * 1024 * 1024)
    .option('--trace <file>', 'write every event as NDJSON')
    .option('-v, --verbose', 'also print every client-side event')
    .addHelpText(
      'after',
      `\nWorkloads:\n${workloads.map((w) => `  ${w.name.padEnd(15)} ${w.summary}`).join('\n')}\n\nExamples:\n  sockscope clients --port 50007 --count 8 --words "Hello network world"\n  sockscope clients --port 50007 --workload bank --count 8 --ops 100\n  sockscope clients --port 50007 --workload interactive      (type lines; Ctrl-D ends)`,
    )
    .action(async (opts) => {
      const { lab, shutdown } = await openLab(opts.trace, 'clients').catch(fail)
      const interactive = opts.workload === 'interactive'
      // A person typing wants to see the answers as they come, not at the end.
      if (opts.verbose || interactive)
        lab.onEvents((batch) => batch.filter((e) => opts.verbose || e.kind === 'recv' || e.kind === 'close').forEach((e) => console.log(formatEvent(e))))
      stopWhenAsked(lab, () => void shutdown().then(() => process.exit(130), fail))
      try {
        const started = performance.now()
        const run = await lab.runClients({
          workload: opts.workload,
          host: opts.host,
          port: opts.port,
          count: opts.count,
          words: String(opts.words).split(/\s+/).filter(Boolean),
          timeout: opts.timeout,
          interval: opts.interval,
          ops: opts.ops,
          mix: opts.mix,
          account: opts.account,
          chunk: opts.chunk,
          gap: opts.gap,
          hold: opts.hold,
          bytes: opts.bytes,
        })
        if (interactive) {
          const lines = createInterface({ input: process.stdin, terminal: false })
          lines.on('line', (line) => lab.sendInput(run.id, line))
          lines.on('close', () => {
            try {
              lab.sendInput(run.id, null)
            } catch {}
          })
          void run.results.finally(() => lines.close())
        }
        const results = await run.results
        const total = (performance.now() - started) / 1000
        // A trace that failed is the run's outcome (fail() exits 1), whatever the clients got.
        await shutdown().catch(fail)
        for (const result of results.sort((a, b) => a.client - b.client)) console.log(formatResult(result))
        const failed = results.filter((r) => r.error).length
        console.log(`${results.length} clients, ${results.length - failed} ok, ${failed} failed, ${total.toFixed(3)} s in all`)
        process.exit(failed ? 1 : 0)
      } catch (err) {
        await shutdown().catch(fail)
        fail(err)
      }
    })
}
