import { Command } from 'commander'
import { SockscopeError } from '../errors.ts'
import type { TraceTarget } from '../tracer/strace-runner.ts'
import { exitStatus, fail, numberOption, openLab, stopWhenAsked } from './common.ts'
import { formatEvent, isHeadline } from './format.ts'

/**
 * `sockscope trace -- CMD ARGS…`: a program Sockscope did not write (your own server),
 * run under strace, its system calls printed as the same events `serve` prints.
 */
export function traceCommand(): Command {
  return new Command('trace')
    .description("trace a program of your own (strace): its accepts, reads, writes, forks, threads and selects as Sockscope's events, until Ctrl-C")
    .argument('[command...]', 'the program and its arguments, after --')
    .option('--pid <n>', 'attach to a running process instead (and its threads and new children); Ctrl-C detaches and leaves it running', numberOption('--pid', { min: 1, integer: true }))
    .option('--trace <file>', 'write every event as NDJSON')
    .option('-q, --quiet', "print only the listening lines, the program's own output and errors")
    .addHelpText(
      'after',
      `\nNeeds Linux and strace (sudo apt-get install strace).\n\nExamples:\n  sockscope trace -- python3 docs/examples/fork-server.py --port 50007 --delay 1\n  sockscope trace --trace fork.ndjson -- python3 docs/examples/fork-server-signal.py\n  sockscope trace --pid 4242`,
    )
    .action(async (command: string[], opts) => {
      let target: TraceTarget
      try {
        if (opts.pid !== undefined && command.length > 0) throw new SockscopeError('BAD_OPTION', 'give either --pid or a command after --, not both')
        if (opts.pid === undefined && command.length === 0) throw new SockscopeError('BAD_OPTION', 'give the program to trace after --, as in: sockscope trace -- python3 server.py, or --pid N')
        target = opts.pid !== undefined ? { pid: opts.pid } : { command, cwd: process.cwd() }
      } catch (err) {
        fail(err)
      }
      const { lab, shutdown } = await openLab(opts.trace, 'trace').catch(fail)
      lab.onEvents((batch) => {
        for (const e of batch) {
          // As soon as it listens, as serve says it: scripts wait for this line.
          if (e.kind === 'listen' && e.src.role === 'server') console.log(`listening on ${e.host}:${e.port}`)
          else if (!opts.quiet && isHeadline(e)) console.log(formatEvent(e))
        }
      })
      // What the tracer reported is said once: a start that then fails with it only exits.
      const reported = new Set<string>()
      lab.onProblem((problem) => {
        reported.add(problem.message)
        console.error(`sockscope: ${problem.message} (${problem.code})`)
      })
      stopWhenAsked(lab, () => void shutdown().then(() => process.exit(0), fail))
      try {
        const run = await lab.startTrace(target, { onOutput: (line) => console.error(line) })
        if (run.attached) console.log(`attached to pid ${run.pid}: Ctrl-C detaches and leaves it running`)
        // The program ending on its own ends the command.
        const poll = setInterval(() => {
          if (lab.listTraces().some((t) => t.id === run.id)) return
          clearInterval(poll)
          void shutdown().then(() => process.exit(0), fail)
        }, 100)
      } catch (err) {
        await shutdown().catch(() => undefined)
        if (err instanceof SockscopeError && reported.has(err.message)) process.exit(exitStatus(err.code))
        fail(err)
      }
    })
}
