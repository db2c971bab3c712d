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
export const LOCK_MODES = ['on', 'off'] as const
export const MIXINS = ['threading', 'forking'] as const
export const BANK_OPS = ['dp', 'wd'] as const

export const ServerSpec = z.object({
  model: z.string().min(1),
  app: z.string().min(1).default('echo'),
  host,
  port: port.default(0),
  /** Seconds of simulated work before a connection is served (the seeds' time.sleep(5)). */
  delay: z.number().min(0).max(3600).default(0),
  /** Fork model: when finished children are reaped. */
  reap: z.enum(REAP_POLICIES).default('on-accept'),
  ports: z
    .number()
    .int()
    .min(1)
    .max(16)
    .default(1)
    .describe('select, asyncio, reactor: listen on this many consecutive ports, all in one loop (seed 003 listens on two)'),
  writeSelect: z
    .boolean()
    .default(false)
    .describe('select: wait for writability and keep an output buffer per connection (seed 001), instead of a send that can block the loop'),
  lock: z.enum(LOCK_MODES).default('on').describe('bank: guard each balance update with the lock (off: updates can be lost)'),
  mixin: z.enum(MIXINS).default('threading').describe('socketserver: ThreadingMixIn or ForkingMixIn'),
  maxLength: z
    .number()
    .int()
    .min(1)
    .max(1 << 30)
    .default(65536)
    .describe('the longest request an app accepts, in bytes: a bank line, a length-prefixed body'),
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
  interval: z.number().min(0).max(60_000).default(200).describe('staggered: ms between one client and the next'),
  ops: z.number().int().min(1).max(100_000).default(100).describe('bank: operations per client'),
  mix: z.array(z.enum(BANK_OPS)).min(1).default(['dp', 'dp', 'wd']).describe('bank: the cycle of operations each client repeats'),
  account: z
    .string()
    .min(1)
    .max(60)
    .regex(/^[^:\r\n]+$/, 'an account name has no colon or line break')
    .default('jack')
    .describe('bank: the account every client uses'),
  chunk: z.number().int().min(1).max(65536).default(1).describe('length-prefixed: bytes per piece sent'),
  gap: z.number().min(0).max(10_000).default(5).describe('length-prefixed: ms between pieces'),
  hold: z.number().min(0).max(3600).default(2).describe('bad clients (idle, no-read, half-close, …): seconds they stay connected'),
  bytes: z
    .number()
    .int()
    .min(1)
    .max(256 * 1024 * 1024)
    .default(8 * 1024 * 1024)
    .describe('no-read, oversize: how many bytes to send'),
  lines: z.array(z.string()).default([]).describe('interactive: lines to send first (more can be pushed while it runs)'),
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
