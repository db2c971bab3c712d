import { InvalidArgumentError } from 'commander'
import { z } from 'zod'
import { SockscopeError } from '../errors.ts'
import { type NumberRange, rangeOf, rangeWords } from '../spec.ts'
import { Lab, type LabOptions, type StopReason } from '../lab/lab.ts'
import { TraceWriter, type TraceWriterOptions } from '../trace.ts'

/**
 * A commander parser that rejects a bad value with the same sentence as the spec's own
 * check (`--port must be an integer from 0 to 65535, not '70000'`). Give it a spec field's
 * schema to take its range from the one place that states it.
 */
export function numberOption(name: string, range: z.ZodType | Partial<NumberRange> = {}) {
  const { min = 0, max, integer = false } = range instanceof z.ZodType ? rangeOf(range) : range
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || (max !== undefined && n > max))
      throw new InvalidArgumentError(`${name} must be ${rangeWords({ min, max, integer })}, not '${value}'`)
    return n
  }
}

/**
 * Commander's error text in the shape of every other usage error: a bad number or a bad
 * choice reads `--model must be one of iterative, fork, …, not 'nope'`, not commander's
 * `option '-m, --model <name>' argument 'nope' is invalid. Allowed choices are …`.
 */
export function usageSentence(text: string): string {
  const plain = text.replace(/^error: /, '').trimEnd()
  const invalid = /^option '(?:-\w, )?(--[\w-]+)[^']*' argument '([^']*)' is invalid\. (.*)$/s.exec(plain)
  const required = /^required option '(?:-\w, )?(--[\w-]+)[^']*' not specified$/.exec(plain)
  let sentence = plain
  if (invalid) {
    const [, flag, value, reason] = invalid
    const choices = /^Allowed choices are (.*)\.$/s.exec(reason!)
    sentence = choices ? `${flag} must be one of ${choices[1]}, not '${value}'` : reason!
  } else if (required) sentence = `${required[1]} is required`
  // The code ends the first line, as on every other error line; a hint ("Did you mean serve?") follows.
  const [first, ...rest] = sentence.split('\n')
  const code = plain.startsWith('unknown command') ? 'UNKNOWN_COMMAND' : 'BAD_OPTION'
  return [`${first} (${code})`, ...rest].join('\n') + '\n'
}

/** A usage error exits 2, as Unix tools do; any other failure 1. */
export function exitStatus(code: string): 1 | 2 {
  return code === 'BAD_OPTION' || code.startsWith('UNKNOWN_') ? 2 : 1
}

export function fail(err: unknown): never {
  const code = err instanceof SockscopeError ? err.code : 'INTERNAL'
  const message = err instanceof Error ? err.message : String(err)
  console.error(`sockscope: ${message} (${code})`)
  process.exit(exitStatus(code))
}

/**
 * A lab with an optional trace file attached; the trace is closed after the lab stops.
 * A trace that cannot be opened fails here, before anything starts. One whose write fails
 * mid-run stops the run at once and ends the command with the error (TRACE_WRITE_FAILED,
 * exit 1): what the run did after that would go unrecorded, and with --trace the record
 * is what the run was for.
 */
export async function openLab(tracePath: string | undefined, command: string, options: LabOptions = {}, traceOptions: Pick<TraceWriterOptions, 'recordsLater'> = {}) {
  const lab = new Lab(options)
  let trace: TraceWriter | undefined
  if (tracePath) {
    trace = await TraceWriter.open(tracePath, { originNs: String(lab.clock.originNs), command }, { elsewhere: 'give --trace another file', ...traceOptions })
    lab.onEvents((batch) => trace!.write(batch))
  }
  let closing: Promise<void> | undefined
  /** Stop the lab, then close the trace; rejects with TRACE_WRITE_FAILED if the trace lost events. Idempotent. */
  const shutdown = () =>
    (closing ??= (async () => {
      await lab.stop()
      await trace?.close()
    })())
  trace?.onFailure(() => void shutdown().catch(fail))
  return { lab, trace, shutdown }
}

/**
 * A CLI command's end: on Ctrl-C, `kill`, a closed terminal, or the process that started
 * it gone (`kill $!` of a background `npx sockscope …` kills npm's shell, not us), the lab
 * stops everything it started and `onStopped` exits; within two seconds in any case (see
 * Lab.installSignalHandlers).
 */
export function stopWhenAsked(lab: Lab, onStopped: (reason: StopReason) => void): void {
  ignoreClosedOutput()
  lab.installSignalHandlers(onStopped, { orphan: true })
}

/**
 * A reader that went away (a closed terminal: EIO; `| head`: EPIPE) makes console.log's
 * stream emit 'error', which would end the process as an uncaught exception in the
 * middle of stopping: the lines are lost either way, the stop must go on.
 */
export function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err
    })
  }
}
