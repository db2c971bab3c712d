import { Command, Option } from 'commander'
import { apps } from '../apps/index.ts'
import { SockscopeError } from '../errors.ts'
import { models } from '../models/index.ts'
import { LOCK_MODES, MIXINS, REAP_POLICIES, ServerSpec } from '../spec.ts'
import { fail, numberOption, openLab, stopWhenAsked } from './common.ts'
import { formatEvent, isHeadline } from './format.ts'

/** Command-line flag → the spec field it sets, for options only some models or apps use. */
const SPEC_FLAGS: Record<string, keyof ServerSpec> = {
  delay: 'delay',
  reap: 'reap',
  ports: 'ports',
  writeSelect: 'writeSelect',
  lock: 'lock',
  mixin: 'mixin',
  maxLength: 'maxLength',
  maxChildren: 'maxChildren',
  maxThreads: 'maxThreads',
}
const FLAG_NAMES: Record<string, string> = { writeSelect: '--write-select', maxLength: '--max-length', maxChildren: '--max-children', maxThreads: '--max-threads' }

const flagName = (field: string) => FLAG_NAMES[field] ?? `--${field}`

/**
 * A flag given on the command line that neither the model nor the app reads is a mistake
 * worth saying; so is one the model reads only with another option (socketserver's
 * --reap, with the forking mixin only).
 */
function checkUsed(command: Command, modelName: string, appName: string): void {
  const model = models.find((m) => m.name === modelName)!
  const app = apps.find((a) => a.name === appName)!
  const opts = command.opts()
  for (const [flag, field] of Object.entries(SPEC_FLAGS)) {
    if (command.getOptionValueSource(flag) !== 'cli') continue
    const needs = Object.entries(model.optionsNeed?.[field] ?? {})
    const unmet = needs.filter(([other, value]) => opts[other] !== value)
    if (unmet.length > 0) {
      const [other, value] = unmet[0]!
      throw new SockscopeError(
        'BAD_OPTION',
        `${flagName(flag)} means nothing to the ${modelName} model with ${flagName(other)} ${opts[other]} (it needs ${flagName(other)} ${value})`,
      )
    }
    if (model.options.includes(field) || app.options.includes(field)) continue
    const named = (names: string[], kind: string) => (names.length ? [`the ${names.join(' and ')} ${kind}${names.length > 1 ? 's' : ''}`] : [])
    const users = [
      ...named(models.filter((m) => m.options.includes(field)).map((m) => m.name), 'model'),
      ...named(apps.filter((a) => a.options.includes(field)).map((a) => a.name), 'app'),
    ]
    throw new SockscopeError(
      'BAD_OPTION',
      `${flagName(flag)} means nothing to the ${modelName} model with the ${appName} app (it is for ${users.join(', and ')})`,
    )
  }
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run a server in one concurrency model until Ctrl-C')
    .addOption(new Option('-m, --model <name>', 'concurrency model').choices(models.map((m) => m.name)).makeOptionMandatory())
    .addOption(new Option('-a, --app <name>', 'application protocol').choices(apps.map((a) => a.name)).default('echo'))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', numberOption('--port', ServerSpec.shape.port), 0)
    .option('--ports <n>', 'select, asyncio, reactor: listen on N consecutive ports from --port, in one loop', numberOption('--ports', ServerSpec.shape.ports), 1)
    .option('-d, --delay <seconds>', 'simulated work before serving each connection (select: blocks the loop)', numberOption('--delay', ServerSpec.shape.delay), 0)
    .addOption(new Option('--reap <policy>', 'fork, socketserver --mixin forking: when exited children are reaped').choices(REAP_POLICIES).default('on-accept'))
    .option('--write-select', 'select: wait for writability and buffer output per connection, instead of a send that can block the loop')
    .addOption(new Option('--lock <on|off>', 'bank: guard each balance update with the lock').choices(LOCK_MODES).default('on'))
    .addOption(new Option('--mixin <kind>', 'socketserver: ThreadingMixIn or ForkingMixIn').choices(MIXINS).default('threading'))
    .option('--max-length <bytes>', 'longest request an app accepts: a bank line, a length-prefixed body', numberOption('--max-length', ServerSpec.shape.maxLength), 65536)
    .option(
      '--max-children <n>',
      'fork, socketserver --mixin forking: the most children at once; at the cap it accepts no more until one exits (ForkingMixIn.max_children)',
      numberOption('--max-children', ServerSpec.shape.maxChildren),
      64,
    )
    .option('--max-threads <n>', 'thread, socketserver --mixin threading: the most handler threads at once; at the cap it accepts no more until one ends', numberOption('--max-threads', ServerSpec.shape.maxThreads), 64)
    .option('--trace <file>', 'write every event as NDJSON')
    .option('-q, --quiet', 'print only the listening line and errors')
    .addHelpText(
      'after',
      `\nModels:\n${models.map((m) => `  ${m.name.padEnd(15)} ${m.summary}`).join('\n')}\n\nApps:\n${apps.map((a) => `  ${a.name.padEnd(15)} ${a.summary}`).join('\n')}\n\nExamples:\n  sockscope serve --model fork --app echo-time --port 50007 --delay 5\n  sockscope serve --model select --ports 2 --port 50007\n  sockscope serve --model thread --app bank --lock off`,
    )
    .action(async (opts, command: Command) => {
      try {
        checkUsed(command, opts.model, opts.app)
      } catch (err) {
        fail(err)
      }
      const { lab, shutdown } = await openLab(opts.trace, 'serve').catch(fail)
      if (!opts.quiet) lab.onEvents((batch) => batch.filter(isHeadline).forEach((e) => console.log(formatEvent(e))))
      lab.onProblem((problem) => {
        console.error(`sockscope: ${problem.message} (${problem.code})`)
        if (problem.code === 'HOST_CRASHED') void shutdown().then(() => process.exit(1), fail)
      })
      // A trace that failed on the way out is the run's outcome: fail() says so and exits 1.
      stopWhenAsked(lab, () => void shutdown().then(() => process.exit(0), fail))
      try {
        const server = await lab.startServer({
          model: opts.model,
          app: opts.app,
          host: opts.host,
          port: opts.port,
          ports: opts.ports,
          delay: opts.delay,
          reap: opts.reap,
          writeSelect: Boolean(opts.writeSelect),
          lock: opts.lock,
          mixin: opts.mixin,
          maxLength: opts.maxLength,
          maxChildren: opts.maxChildren,
          maxThreads: opts.maxThreads,
        })
        for (const port of server.ports) console.log(`listening on ${server.host}:${port}`)
      } catch (err) {
        await shutdown().catch(fail)
        fail(err)
      }
    })
}
