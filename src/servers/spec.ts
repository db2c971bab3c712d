import { z } from 'zod'
import { SockscopeError } from './errors.ts'

/**
 * What to run, as the CLI, the lab, the web API and the UI all describe it. Validated
 * once at the edge (zod), so a bad value is a clear BAD_OPTION error wherever it comes
 * from, and everything behind the edge can trust its input.
 */

const port = z.number().int().min(0).max(65535)
const host = z.string().min(1).default('127.0.0.1')

export const REAP_POLICIES = ['immediate', 'on-accept', 'never'] as const

export const ServerSpec = z.object({
  model: z.string().min(1),
  app: z.string().min(1).default('echo'),
  host,
  port: port.default(0),
  /** Seconds of simulated work before a connection is served (the seeds' time.sleep(5)). */
  delay: z.number().min(0).max(3600).default(0),
  /** Fork model: when finished children are reaped. */
  reap: z.enum(REAP_POLICIES).default('on-accept'),
})
export type ServerSpec = z.output<typeof ServerSpec>
export type ServerSpecInput = z.input<typeof ServerSpec>

export const ClientSpec = z.object({
  workload: z.string().min(1).default('burst'),
  host,
  port: port.min(1),
  /** Number of clients. */
  count: z.number().int().min(1).max(1000).default(8),
  /** What each client sends, one message per word (seed 003's echo-client). */
  words: z.array(z.string().min(1)).min(1).default(['Hello', 'network', 'world']),
  /** Give up on a connection after this many seconds without progress. */
  timeout: z.number().positive().max(3600).default(60),
})
export type ClientSpec = z.output<typeof ClientSpec>
export type ClientSpecInput = z.input<typeof ClientSpec>

/** Parse with zod and turn its issues into one readable BAD_OPTION line. */
export function parseSpec<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const where = issue.path.length ? `--${issue.path.join('.')}` : 'options'
  throw new SockscopeError('BAD_OPTION', `${where}: ${issue.message}`)
}
