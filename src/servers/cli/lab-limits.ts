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
