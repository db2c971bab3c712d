/**
 * The sockscope command's program: every subcommand, and how usage errors exit.
 * Started through sockscope.ts, which turns the compile cache on first.
 */
import { Command, CommanderError } from 'commander'
import { clientsCommand } from './clients.ts'
import { compareCommand } from './compare.ts'
import { lessonCommand } from './lesson.ts'
import { usageSentence } from './common.ts'
import { psCommand } from './ps.ts'
import { serveCommand } from './serve.ts'
import { traceCommand } from './trace.ts'
import { webCommands } from './web.ts'

const output = { outputError: (text: string, write: (s: string) => void) => write(`sockscope: ${usageSentence(text)}`) }

const program = new Command('sockscope')
  .description('Run real TCP servers in the classic concurrency models, drive real clients, and record every event.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput(output)
  .exitOverride()

for (const command of [serveCommand(), traceCommand(), clientsCommand(), psCommand(), compareCommand(), lessonCommand(), ...webCommands(), (await import('./export.ts')).exportCommand(), (await import('./render.ts')).renderCommand()]) {
  program.addCommand(command.configureOutput(output).showHelpAfterError('(run with --help for usage)').exitOverride())
}

// A usage error exits 2 whichever check found it (commander's parsers or the spec's, in
// fail()), as Unix tools do; commander's own default would be 1. Help and --version exit 0.
try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (!(err instanceof CommanderError)) throw err
  process.exit(err.exitCode === 0 ? 0 : 2)
}
