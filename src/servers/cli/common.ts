import { InvalidArgumentError } from 'commander'
import { SockscopeError } from '../errors.ts'
import { Lab, type StopReason } from '../lab/lab.ts'
import { TraceWriter } from '../trace.ts'

/** Commander parsers that reject bad values with a one-line message. */
export function numberOption(name: string, { integer = false, min = 0 } = {}) {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min)
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, not '${value}'.`)
    return n
  }
}

export function fail(err: unknown): never {
  const code = err instanceof SockscopeError ? err.code : 'INTERNAL'
  const message = err instanceof Error ? err.message : String(err)
  console.error(`sockscope: ${message} (${code})`)
  process.exit(code === 'BAD_OPTION' || code.startsWith('UNKNOWN_') ? 2 : 1)
}

/** A lab with an optional trace file attached; the trace is closed after the lab stops. */
export async function openLab(tracePath: string | undefined, command: string) {
  const lab = new Lab()
  let trace: TraceWriter | undefined
  if (tracePath) {
    trace = new TraceWriter(tracePath, { originNs: String(lab.clock.originNs), command })
    await trace.ready(tracePath)
    lab.onEvents((batch) => trace!.write(batch))
  }
  const shutdown = async () => {
    await lab.stop()
    await trace?.close()
  }
  return { lab, trace, shutdown }
}

/**
 * A CLI command's end: on Ctrl-C, `kill`, a closed terminal, or the process that started
 * it gone (`kill $!` of a background `npx sockscope …` kills npm's shell, not us), the lab
 * stops everything it started and `onStopped` exits; within a second in any case (see
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
