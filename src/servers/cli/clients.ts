import { Command, Option } from 'commander'
import { workloads } from '../clients/workloads/index.ts'
import { fail, numberOption, openLab } from './common.ts'
import { formatEvent, formatResult } from './format.ts'

export function clientsCommand(): Command {
  return new Command('clients')
    .description('run a client workload against a server and print each client\'s replies and time')
    .requiredOption('-p, --port <n>', 'server port', numberOption('--port', { integer: true, min: 1 }))
    .option('--host <address>', 'server address', '127.0.0.1')
    .addOption(new Option('-w, --workload <name>', 'client workload').choices(workloads.map((w) => w.name)).default('burst'))
    .option('-n, --count <n>', 'number of clients', numberOption('--count', { integer: true, min: 1 }), 8)
    .option('--words <text>', 'words each client sends, one message per word', 'Hello network world')
    .option('--timeout <seconds>', 'give up on a silent connection after this long', numberOption('--timeout', { min: 0.001 }), 60)
    .option('--trace <file>', 'write every event as NDJSON')
    .option('-v, --verbose', 'also print every client-side event')
    .addHelpText(
      'after',
      `\nWorkloads:\n${workloads.map((w) => `  ${w.name.padEnd(12)} ${w.summary}`).join('\n')}\n\nExample:\n  sockscope clients --port 50007 --count 8 --words "Hello network world"`,
    )
    .action(async (opts) => {
      const { lab, shutdown } = await openLab(opts.trace, 'clients').catch(fail)
      if (opts.verbose) lab.onEvents((batch) => batch.forEach((e) => console.log(formatEvent(e))))
      lab.installSignalHandlers(() => void shutdown().finally(() => process.exit(130)))
      try {
        const started = performance.now()
        const run = await lab.runClients({
          workload: opts.workload,
          host: opts.host,
          port: opts.port,
          count: opts.count,
          words: String(opts.words).split(/\s+/).filter(Boolean),
          timeout: opts.timeout,
        })
        const results = await run.results
        const total = (performance.now() - started) / 1000
        await shutdown()
        for (const result of results.sort((a, b) => a.client - b.client)) console.log(formatResult(result))
        const failed = results.filter((r) => r.error).length
        console.log(`${results.length} clients, ${results.length - failed} ok, ${failed} failed, ${total.toFixed(3)} s in all`)
        process.exit(failed ? 1 : 0)
      } catch (err) {
        await shutdown()
        fail(err)
      }
    })
}
