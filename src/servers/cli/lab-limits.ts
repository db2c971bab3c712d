import { Command } from 'commander'
import { DEFAULT_LAB_LIMITS, LabLimitsSchema, LIMIT_FLAGS, type LabLimits } from '../lab/lab.ts'
import { numberOption } from './common.ts'

/**
 * The flags that raise the lab's caps (`--max-servers`, `--max-workloads`,
 * `--max-clients`), on the commands whose lab a page drives: `sockscope web` and
 * `sockscope app`. The names come from LIMIT_FLAGS, which a refusal quotes.
 */
export function addLabLimitOptions(command: Command): Command {
  const keys = Object.keys(LIMIT_FLAGS) as (keyof LabLimits)[]
  for (const key of keys)
    command.option(`${LIMIT_FLAGS[key]} <n>`, LabLimitsSchema.shape[key].description ?? key, numberOption(LIMIT_FLAGS[key], LabLimitsSchema.shape[key]), DEFAULT_LAB_LIMITS[key])
  return command
}

/** The caps out of a command's parsed options. */
export function labLimitsOf(opts: Record<string, unknown>): LabLimits {
  return { servers: Number(opts.maxServers), workloads: Number(opts.maxWorkloads), clients: Number(opts.maxClients) }
}

/** The caps as flags again, to hand to the Electron process `sockscope app` starts. */
export function labLimitArgs(limits: LabLimits): string[] {
  return (Object.keys(LIMIT_FLAGS) as (keyof LabLimits)[]).map((key) => `${LIMIT_FLAGS[key]}=${limits[key]}`)
}

/**
 * The caps from Electron's own argv (what `sockscope app` passed on; Electron adds flags of
 * its own, which are ignored). A bad value throws the same sentence as the CLI's.
 */
export function labLimitsFromArgv(argv: readonly string[]): LabLimits {
  const parser = addLabLimitOptions(new Command()).allowUnknownOption().allowExcessArguments().exitOverride()
  parser.parse([...argv], { from: 'user' })
  return labLimitsOf(parser.opts())
}

/** The flag that hands `sockscope app`'s FILE arguments to the Electron process, one per file. */
const OPEN_FLAG = '--open'

/** FILE arguments (absolute paths) as flags for the Electron process: `--open=<path>` each, so no Electron or Chromium flag can be taken for one. */
export function openArgs(files: readonly string[]): string[] {
  return files.map((file) => `${OPEN_FLAG}=${file}`)
}

/** What `sockscope app` passed on to Electron: the lab's caps and the files to open (see openArgs). */
export function appOptionsFromArgv(argv: readonly string[]): { limits: LabLimits; files: string[] } {
  const parser = addLabLimitOptions(new Command())
    .option(`${OPEN_FLAG} <file>`, 'a trace file to open', (value: string, previous: string[] = []) => [...previous, value])
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
  parser.parse([...argv], { from: 'user' })
  const opts = parser.opts()
  return { limits: labLimitsOf(opts), files: (opts.open as string[] | undefined) ?? [] }
}
