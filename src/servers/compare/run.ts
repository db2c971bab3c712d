import { z } from 'zod'
import { SockscopeError } from '../errors.ts'
import { MAX_COMPARED, MIN_COMPARED } from './bounds.ts'
import { models } from '../models/index.ts'
import { workloads } from '../clients/workloads/index.ts'
import { ClientSpec, type ClientSpecInput, parseSpec, ServerSpec, type ServerSpecInput } from '../spec.ts'

export { MAX_COMPARED, MIN_COMPARED } from './bounds.ts'

/** The workloads a compare can run: every one but `interactive`, which waits for a person's lines. */
export const compareWorkloads = () => workloads.filter((w) => w.name !== 'interactive').map((w) => w.name)

/**
 * One client load against 2–4 models, as the CLI's `compare` and the web API's
 * `startCompare` both take it. The bank workload runs the bank app with no delay (its
 * race is in the updates, not in a sleep); every other workload runs echo-time with `delay`.
 */
export const CompareSpec = z
  .object({
    models: z.array(z.string()).min(MIN_COMPARED).max(MAX_COMPARED),
    workload: z.string().default('burst'),
    app: z.string().optional(),
    count: ClientSpec.shape.count,
    delay: ServerSpec.shape.delay.default(1),
    ops: ClientSpec.shape.ops,
    lock: ServerSpec.shape.lock,
  })
  .superRefine((spec, ctx) => {
    const known = models.map((m) => m.name)
    const bad = spec.models.find((n) => !known.includes(n))
    if (bad) ctx.addIssue({ code: 'custom', path: ['models'], message: `models must be 2 to 4 of ${known.join(', ')}, not '${bad}'` })
    else if (new Set(spec.models).size !== spec.models.length) ctx.addIssue({ code: 'custom', path: ['models'], message: `models must be different, not ${spec.models.join(', ')}` })
    if (!compareWorkloads().includes(spec.workload))
      ctx.addIssue({ code: 'custom', path: ['workload'], message: `workload must be one of ${compareWorkloads().join(', ')}, not '${spec.workload}'` })
  })
export type CompareSpec = z.output<typeof CompareSpec>
export type CompareSpecInput = z.input<typeof CompareSpec>

/** A spec checked (BAD_OPTION saying what is wrong), with its app and its servers' delay settled. */
export function parseCompareSpec(input: unknown): CompareSpec & { app: string } {
  const spec = parseSpec(CompareSpec, input)
  const app = spec.app ?? (spec.workload === 'bank' ? 'bank' : 'echo-time')
  return { ...spec, app, delay: app === 'bank' ? 0 : spec.delay }
}

/** What a compare needs of a lab: the Lab itself, or the web host's service that lists the runs it starts. */
export interface CompareLab {
  startServer(spec: ServerSpecInput, options: { warm: true }): Promise<{ id: string; ports?: readonly number[] }>
  runClients(spec: ClientSpecInput, options: { held: true }): Promise<{ id: string }>
  releaseClients(id: string): void
  stopServer(id: string): Promise<unknown>
  stopClients(id: string): Promise<unknown>
}

/** One model's part of a compare: its server run and the client run aimed at it. */
export interface ComparePair<S = { id: string }, C = { id: string }> {
  model: string
  server: S
  clients: C
}

/**
 * Start a compare: every server first (each on its own port, its spare handlers booted),
 * then every driver, held
 * ready, then all of them released at once, so each model meets the same load at the same
 * instant (the releases are IPC messages microseconds apart, where drivers booting on
 * their own would start up to a few hundred ms apart). On a failure, what was started
 * is stopped and the error is passed on.
 */
export async function startCompare<S extends { id: string; ports?: readonly number[] }, C extends { id: string }>(
  lab: { startServer(spec: ServerSpecInput, options: { warm: true }): Promise<S>; runClients(spec: ClientSpecInput, options: { held: true }): Promise<C> } & Omit<CompareLab, 'startServer' | 'runClients'>,
  spec: CompareSpec & { app: string },
): Promise<ComparePair<S, C>[]> {
  const servers: S[] = []
  const drivers: C[] = []
  try {
    const started = await Promise.allSettled(spec.models.map((model) => lab.startServer({ model, app: spec.app, port: 0, delay: spec.delay, lock: spec.lock }, { warm: true })))
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
    const ready = await Promise.allSettled(
      servers.map((server) => {
        const port = server.ports?.[0]
        if (port === undefined) throw new SockscopeError('INTERNAL', `server ${server.id} reported no port`)
        return lab.runClients({ workload: spec.workload, port, count: spec.count, ops: spec.ops }, { held: true })
      }),
    )
    for (const d of ready) if (d.status === 'fulfilled') drivers.push(d.value)
    const notReady = ready.find((d) => d.status === 'rejected')
    if (notReady) throw notReady.reason
  } catch (err) {
    await Promise.allSettled([...drivers.map((d) => lab.stopClients(d.id)), ...servers.map((s) => lab.stopServer(s.id))])
    throw err
  }
  for (const d of drivers) lab.releaseClients(d.id)
  return spec.models.map((model, i) => ({ model, server: servers[i]!, clients: drivers[i]! }))
}
