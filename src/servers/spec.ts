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

/** The highest cap on a server's live children or threads that a user can ask for. */
export const MAX_HANDLERS = 1000

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
  maxChildren: z
    .number()
    .int()
    .min(1)
    .max(MAX_HANDLERS)
    .default(64)
    .describe('fork, and socketserver with the forking mixin: the most children live at once; at the cap the server accepts no more until one exits (ForkingMixIn.max_children)'),
  maxThreads: z
    .number()
    .int()
    .min(1)
    .max(MAX_HANDLERS)
    .default(64)
    .describe('thread, and socketserver with the threading mixin: the most handler threads live at once; at the cap the server accepts no more until one ends'),
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
  timeout: z.number().min(0.001).max(3600).default(60),
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

/** What a number option accepts: the one description the CLI's flags and the spec's errors share. */
export interface NumberRange {
  min: number
  max?: number
  integer: boolean
}

/** The range a spec field's schema allows (through its default). */
export function rangeOf(schema: z.ZodType): NumberRange {
  let inner: z.ZodType = schema
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType
  if (!(inner instanceof z.ZodNumber)) throw new Error('rangeOf: not a number schema')
  const max = inner.maxValue
  return { min: inner.minValue ?? Number.NEGATIVE_INFINITY, max: max !== null && max < Number.MAX_SAFE_INTEGER ? max : undefined, integer: inner.isInt }
}

/** `an integer from 0 to 65535`, `a number ≥ 0`: what a person should type. */
export function rangeWords({ min, max, integer }: NumberRange): string {
  const kind = integer ? 'an integer' : 'a number'
  return max === undefined ? `${kind} ≥ ${min}` : `${kind} from ${min} to ${max}`
}

/** A spec field as words in a sentence: `maxLength` → `max length`. */
function fieldWords(path: readonly PropertyKey[]): string {
  const name = String(path.find((p) => typeof p === 'string') ?? 'an option')
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
}

function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value)
}

/** The schema of the field an issue is about, if it is a plain field of an object schema. */
function fieldSchema(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  if (!(schema instanceof z.ZodObject) || path.length !== 1) return undefined
  return (schema.shape as Record<string, z.ZodType>)[String(path[0])]
}

/**
 * Parse with zod and turn its first issue into one sentence, the same shape as the CLI's
 * (`port must be an integer from 0 to 65535, not 70000`), as a BAD_OPTION error. Fields
 * are named in words, not flags: the UI and the web API show this message too.
 */
export function parseSpec<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const words = fieldWords(issue.path)
  const field = fieldSchema(schema, issue.path)
  const value = issue.path.reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined), input)
  let sentence: string
  let numeric = false
  try {
    numeric = field !== undefined && (rangeOf(field), true)
  } catch {}
  if (numeric && (issue.code === 'too_big' || issue.code === 'too_small' || issue.code === 'invalid_type'))
    sentence = `${words} must be ${rangeWords(rangeOf(field!))}, not ${shown(value)}`
  else if (issue.code === 'too_small' && issue.origin === 'string') sentence = `${words} must not be empty`
  else if (issue.code === 'too_small' && issue.origin === 'array') sentence = `${words} must have at least ${issue.minimum} ${issue.minimum === 1 ? 'item' : 'items'}`
  else if (issue.code === 'invalid_value') sentence = `${words} must be one of ${issue.values.map(String).join(', ')}, not ${shown(value)}`
  else if (issue.code === 'invalid_type') sentence = `${words} must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, not ${shown(value)}`
  else sentence = issue.path.length ? `${words}: ${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}` : issue.message
  throw new SockscopeError('BAD_OPTION', sentence)
}
