#!/usr/bin/env node
/**
 * The sockscope command: the same lab as the app, headless.
 */
import { Command } from 'commander'
import { clientsCommand } from './clients.ts'
import { psCommand } from './ps.ts'
import { serveCommand } from './serve.ts'
import { webCommands } from './web.ts'

const output = { outputError: (text: string, write: (s: string) => void) => write(`sockscope: ${text.replace(/^error: /, '')}`) }

const program = new Command('sockscope')
  .description('Run real TCP servers in the classic concurrency models, drive real clients, and record every event.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput(output)

for (const command of [serveCommand(), clientsCommand(), psCommand(), ...webCommands()]) {
  program.addCommand(command.configureOutput(output).showHelpAfterError('(run with --help for usage)'))
}

await program.parseAsync(process.argv)
