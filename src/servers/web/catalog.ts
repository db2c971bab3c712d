import { z } from 'zod'
import { apps } from '../apps/index.ts'
import { workloads } from '../clients/workloads/index.ts'
import { models } from '../models/index.ts'
import { ClientSpec, ServerSpec } from '../spec.ts'
import type { Catalog, FieldInfo } from './protocol.ts'
import { humanize } from './words.ts'

interface JsonSchemaProp {
  type?: string
  enum?: unknown[]
  default?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  description?: string
  items?: JsonSchemaProp
  anyOf?: JsonSchemaProp[]
}

/**
 * The fields of a spec schema as form fields, read from its JSON Schema (zod's own
 * conversion), so that a field another engineer adds to ServerSpec / ClientSpec shows up
 * in the UI with its type, default, bounds and choices.
 */
export function describeFields(schema: z.ZodObject): FieldInfo[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaProp>
    required?: string[]
  }
  const required = new Set(json.required ?? [])
  return Object.entries(json.properties ?? {}).map(([name, raw]) => {
    // Optional/nullable fields come as anyOf [T, null]: describe T.
    const prop = raw.anyOf?.find((p) => p.type !== 'null') ?? raw
    const field: FieldInfo = { name, type: fieldType(prop), required: required.has(name) }
    if (prop.default !== undefined || raw.default !== undefined) field.default = raw.default ?? prop.default
    const min = prop.minimum ?? prop.exclusiveMinimum
    const max = prop.maximum ?? prop.exclusiveMaximum
    if (min !== undefined) field.min = min
    if (max !== undefined) field.max = max
    if (prop.enum) field.choices = prop.enum.map(String)
    if (field.type === 'list') field.itemType = prop.items?.type === 'integer' ? 'integer' : prop.items?.type === 'number' ? 'number' : 'string'
    const description = raw.description ?? prop.description
    if (description) field.description = description
    return field
  })
}

function fieldType(prop: JsonSchemaProp): FieldInfo['type'] {
  if (prop.enum) return 'enum'
  switch (prop.type) {
    case 'integer':
      return 'integer'
    case 'number':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'array':
      return 'list'
    default:
      return 'string'
  }
}

/**
 * How each spec field reads in the UI: a label in sentence case, the unit of its value,
 * and a hint for a person (the spec's descriptions are written for `--help`). A field
 * added to a spec without an entry here still gets a label (its name, humanised) and the
 * spec's description with its flags turned into labels.
 */
export const FIELD_TEXT: Readonly<Record<string, { label: string; unit?: string; help?: string }>> = {
  model: { label: 'Concurrency model' },
  app: { label: 'App', help: 'the application protocol the server speaks' },
  host: { label: 'Address' },
  port: { label: 'Port', help: 'the first port to listen on; 0 picks a free one' },
  delay: { label: 'Delay', unit: 's', help: "simulated work before serving each connection (the seeds' time.sleep)" },
  reap: { label: 'Reap policy', help: 'when the server collects its exited children: immediate (SIGCHLD ignored), on the next accept (seed 003), or never' },
  ports: { label: 'Ports', help: 'how many consecutive ports to listen on, all served by one loop (seed 003 listens on two)' },
  writeSelect: {
    label: 'Select for writing',
    help: 'wait until a socket can take more before sending, with an output buffer per connection (seed 001), instead of a send that can block the loop',
  },
  lock: { label: 'Lock', help: 'guard each balance update with a lock; off shows the race of seed 002, where updates are lost' },
  mixin: { label: 'Mixin', help: 'socketserver: ThreadingMixIn (a thread per client) or ForkingMixIn (a process per client)' },
  maxChildren: { label: 'Max children', help: 'the most child processes live at once; at the cap the server accepts no one new until a child exits (ForkingMixIn.max_children)' },
  maxThreads: { label: 'Max threads', help: 'the most handler threads live at once; at the cap the server accepts no one new until a thread ends' },
  maxLength: { label: 'Max length', unit: 'bytes', help: 'the longest request the app accepts: a bank line, a length-prefixed body' },
  workload: { label: 'Workload' },
  count: { label: 'Clients', help: 'how many clients connect at once' },
  words: { label: 'Words', help: 'what each client sends, one message per word' },
  timeout: { label: 'Timeout', unit: 's', help: 'give up on a connection after this long without progress' },
  interval: { label: 'Interval', unit: 'ms', help: 'time between one client starting and the next' },
  ops: { label: 'Operations', help: 'how many deposits and withdrawals each client makes' },
  mix: { label: 'Mix', help: 'the cycle of operations each client repeats: dp deposits 1, wd withdraws 1' },
  account: { label: 'Account', help: 'the account every client uses' },
  chunk: { label: 'Piece size', unit: 'bytes', help: 'each client sends its message in pieces of this many bytes, each its own TCP segment' },
  gap: { label: 'Gap', unit: 'ms', help: 'time between one piece and the next' },
  hold: { label: 'Hold', unit: 's', help: 'how long each client stays connected' },
  bytes: { label: 'Size', unit: 'bytes', help: 'how many bytes each client sends' },
  lines: { label: 'Lines', help: 'the lines to send, one after another, like a person at telnet' },
}

/**
 * The registries' summaries are written for `--help`; where one names a flag, the UI gets
 * a sentence of its own (keyed `app:name`, `workload:name`, `model:name`).
 */
const SUMMARY_TEXT: Readonly<Record<string, string>> = {
  'app:bank': "'name:dp' / 'name:wd' move a shared balance by 1 (seed 002); with the lock off, concurrent updates race and some are lost",
  'workload:bank': 'N clients each making deposits and withdrawals (dp / wd) on one account, then an audit of the final balance (seed 002)',
  'workload:staggered': 'N echo clients, one starting every interval',
  'workload:interactive': 'one connection sending the lines you give it, then showing what comes back',
  'workload:idle': 'bad client: connects, never sends, and leaves after the hold time',
  'workload:half-close': 'bad client: sends, shuts down its write side, and reads until the server closes or the hold time ends',
  'workload:reset': 'bad client: sends half a message, then resets the connection (RST) after the hold time',
  'workload:oversize': 'bad client: sends one line of the given size, far beyond any buffer, and reads what comes back for the hold time',
  'workload:no-read': 'bad client: sends the given number of bytes and never reads, for the hold time (the blocking-send lesson)',
}

/** The label of the field a CLI flag sets: `--max-length` → `Max length`. */
function flagLabel(flag: string): string {
  const name = flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
  return FIELD_TEXT[name]?.label ?? humanize(name)
}

/** A spec error names its field in words (`max length must be …`, spec.ts's parseSpec): the form names it by its label. */
const FIELD_WORDS: readonly [RegExp, string][] = Object.entries(FIELD_TEXT)
  .map(([name, text]): [string, string] => [name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase(), text.label])
  .sort((a, b) => b[0].length - a[0].length)
  .map(([words, label]) => [new RegExp(`^${words}(?= must |: )`), label])

/**
 * A message written for the command line, for a person in the UI: `pick another or use
 * --port 0` → `pick another, or set Port to 0 (any free port)`; a spec error `count must
 * be …` or `--count: …` → `Clients must be …`, `Clients: …`; any other flag → its field's
 * label, quoted.
 */
export function forPeople(message: string): string {
  let out = message
    .replace(/,? ?(?:or )?use --port 0\b/g, ', or set Port to 0 (any free port)')
    .replace(/^--([a-z][a-z-]*)(?:\.[\w.]+)?(?=:| must )/, (_, flag: string) => flagLabel(flag))
    .replace(/--([a-z][a-z-]*)(?: (s|ms)\b)?/g, (_, flag: string) => `“${flagLabel(flag)}”`)
  for (const [words, label] of FIELD_WORDS) if (words.test(out)) {
    out = out.replace(words, label)
    break
  }
  return out
}

function withText(fields: FieldInfo[]): FieldInfo[] {
  return fields.map((field) => {
    const text = FIELD_TEXT[field.name]
    const help = text?.help ?? (field.description ? forPeople(field.description) : undefined)
    return { ...field, label: text?.label ?? humanize(field.name), ...(text?.unit ? { unit: text.unit } : {}), ...(help ? { help } : {}) }
  })
}

function entries(kind: 'model' | 'app' | 'workload', list: readonly { name: string; summary: string; options: readonly unknown[] }[]): Catalog['models'] {
  return list.map((e) => ({ name: e.name, summary: SUMMARY_TEXT[`${kind}:${e.name}`] ?? forPeople(e.summary), options: [...e.options].map(String) }))
}

/** Everything the UI can offer, straight from the registries, in words for people. */
export function buildCatalog(): Catalog {
  return {
    models: entries('model', models),
    apps: entries('app', apps),
    workloads: entries('workload', workloads),
    serverFields: withText(describeFields(ServerSpec)),
    clientFields: withText(describeFields(ClientSpec)),
  }
}
