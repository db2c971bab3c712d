import { Command, Option } from 'commander'
import { apps } from '../apps/index.ts'
import { models } from '../models/index.ts'
import { REAP_POLICIES } from '../spec.ts'
import { fail, numberOption, openLab } from './common.ts'
import { formatEvent, isHeadline } from './format.ts'

export function serveCommand(): Command {
  return new Command('serve')
    .description('run a server in one concurrency model until Ctrl-C')
    .addOption(new Option('-m, --model <name>', 'concurrency model').choices(models.map((m) => m.name)).makeOptionMandatory())
    .addOption(new Option('-a, --app <name>', 'application protocol').choices(apps.map((a) => a.name)).default('echo'))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', numberOption('--port', { integer: true }), 0)
    .option('-d, --delay <seconds>', 'simulated work before serving each connection', numberOption('--delay'), 0)
    .addOption(new Option('--reap <policy>', 'fork: when exited children are reaped').choices(REAP_POLICIES).default('on-accept'))
    .option('--trace <file>', 'write every event as NDJSON')
    .option('-q, --quiet', 'print only the listening line and errors')
    .addHelpText(
      'after',
      `\nModels:\n${models.map((m) => `  ${m.name.padEnd(12)} ${m.summary}`).join('\n')}\n\nApps:\n${apps.map((a) => `  ${a.name.padEnd(12)} ${a.summary}`).join('\n')}\n\nExample:\n  sockscope serve --model fork --app echo-time --port 50007 --delay 5`,
    )
    .action(async (opts) => {
      const { lab, shutdown } = await openLab(opts.trace, 'serve').catch(fail)
      if (!opts.quiet) lab.onEvents((batch) => batch.filter(isHeadline).forEach((e) => console.log(formatEvent(e))))
      lab.onProblem((problem) => {
        console.error(`sockscope: ${problem.message} (${problem.code})`)
        if (problem.code === 'HOST_CRASHED') void shutdown().finally(() => process.exit(1))
      })
      lab.installSignalHandlers(() => void shutdown().finally(() => process.exit(0)))
      try {
        const server = await lab.startServer({
          model: opts.model,
          app: opts.app,
          host: opts.host,
          port: opts.port,
          delay: opts.delay,
          reap: opts.reap,
        })
        for (const port of server.ports) console.log(`listening on ${server.host}:${port}`)
      } catch (err) {
        await shutdown()
        fail(err)
      }
    })
}
