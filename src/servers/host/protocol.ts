import { z } from 'zod'
import type { AppOptions } from '../apps/app.ts'
import { type WorkloadVerdict, WorkloadVerdictSchema } from '../clients/verdict.ts'
import type { ErrorInfo } from '../errors.ts'
import type { SockscopeEvent } from '../events.ts'
import { checkEvents } from '../event-check.ts'
import type { HandlerStyle } from '../models/request-handler.ts'
import type { ClientSpec, ServerSpec } from '../spec.ts'

/**
 * Messages between the lab and the processes it starts (server hosts, client drivers),
 * and between a server host and its own children (forked connection handlers). Process
 * IPC uses Node's 'advanced' serialization (structured clone), so Buffers survive.
 */

export type { WorkloadVerdict }

export interface ClientResult {
  /** 1-based client number within the workload. */
  client: number
  conn?: string
  replies: string[]
  elapsedMs: number
  error?: ErrorInfo
  /** `audit`: not one of the workload's N clients but a check it made of the server (the
   *  bank's balance before and after), so counts and times of the clients leave it out. */
  role?: 'audit'
  /** What the workload concluded from the server's answers as a whole (the bank's audit). */
  verdict?: WorkloadVerdict
}

/** Lab → child process. */
export type LabToChild =
  | { type: 'start-server'; run: string; spec: ServerSpec }
  /** `held`: the driver says ready, then waits for `go` before its first connect (compare starts every model's load at once). */
  | { type: 'start-clients'; run: string; spec: ClientSpec; held?: boolean }
  /** A held workload's start signal. */
  | { type: 'go' }
  /** A line for a running workload that reads input (interactive); null ends the input. */
  | { type: 'input'; line: string | null }
  | { type: 'stop' }

/** Child process → lab. `upTo` is the sender's clock when the batch left. */
export type ChildToLab =
  | { type: 'events'; events: SockscopeEvent[]; upTo: number }
  | { type: 'ready'; host: string; ports: number[] }
  /** After ready: the server's spare handlers are all booted (at once for a model that keeps none). */
  | { type: 'warm' }
  | { type: 'results'; results: ClientResult[] }
  | { type: 'fatal'; error: ErrorInfo }

/**
 * What a child sends: a batch of events may travel as JSON lines (`lines`, one event per
 * line, see event-text.ts), which the lab parses in a fraction of what structured clone's
 * deserializer takes per object and then writes to the trace and the WebSocket as they
 * are; it reaches the lab's listeners as `events` all the same.
 */
export type ChildToLabWire =
  | { type: 'events'; events: SockscopeEvent[]; upTo: number }
  | { type: 'events'; lines: string; upTo: number }
  | Exclude<ChildToLab, { type: 'events' }>

/** Server host → forked connection handler (the socket travels as the message's handle). */
/** What a forked child or a worker thread needs to serve one connection with the app. */
export interface HandlerJob {
  run: string
  conn: string
  app: string
  delayMs: number
  options: AppOptions
  style: HandlerStyle
}

export interface ServeConnection extends HandlerJob {
  type: 'serve'
}

const errorInfo = z.object({ code: z.string(), message: z.string() })

/**
 * The lab checks what its children send: a malformed message is reported as BAD_MESSAGE
 * and dropped, not trusted. Events are checked for the fields every consumer relies on
 * (by checkEventBatch: a schema library's per-object walk cost more than the rest of the
 * lab's work on an event; the other messages are rare and go through the schema).
 */
export const ChildToLabSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), host: z.string(), ports: z.array(z.number()) }),
  z.object({ type: z.literal('warm') }),
  z.object({
    type: z.literal('results'),
    results: z.array(
      z.object({
        client: z.number(),
        conn: z.string().optional(),
        replies: z.array(z.string()),
        elapsedMs: z.number(),
        error: errorInfo.optional(),
        role: z.literal('audit').optional(),
        verdict: WorkloadVerdictSchema.optional(),
      }),
    ),
  }),
  z.object({ type: z.literal('fatal'), error: errorInfo }),
])

/** What is wrong with a batch of events (see checkEvents), or undefined if nothing is. */
export function checkEventBatch(message: { upTo?: unknown; events?: unknown }): string | undefined {
  if (typeof message.upTo !== 'number') return 'upTo: expected a number'
  return checkEvents(message.events)
}
