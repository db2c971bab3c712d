import type { ConnId } from '../events.ts'
import type { ServerSpec } from '../spec.ts'

/**
 * An application protocol, written once as straight-line code that *yields* the
 * operations it wants (recv, send, sleep, and for shared state read / write / lock /
 * unlock). Each concurrency model interprets those operations its own way: a worker
 * thread blocks on them, a forked child or a coroutine awaits them, an event loop
 * resumes the handler when the socket is ready. So the same handler runs unchanged in
 * every model, and the model alone decides what waits, and what memory is shared.
 *
 * When an operation fails (the peer reset the connection), the interpreter throws the
 * error into the handler at its `yield`, so `finally` blocks run (a held lock is
 * released) before the connection ends.
 */
export type AppOp =
  | { op: 'recv'; max: number }
  | { op: 'send'; data: Uint8Array }
  | { op: 'sleep'; ms: number }
  /** Take the named lock; waits while another connection holds it. */
  | { op: 'lock'; name: string }
  | { op: 'unlock'; name: string }
  /** Read a named number of the server's application state (0 if never written). */
  | { op: 'read'; key: string }
  | { op: 'write'; key: string; value: number }
  /** Mark a named phase of the handler on the timeline (socketserver's setup / handle / finish). */
  | { op: 'phase'; phase: string; edge: 'begin' | 'end' }
  /** Report a protocol error for this connection (an error event); the handler then tells the client. */
  | { op: 'error'; code: string; message: string }

/** What a handler gets back: recv yields bytes (empty at EOF), read yields a number. */
export type OpResult = Uint8Array | number | undefined

export type Handler = Generator<AppOp, void, OpResult>

/** The server options that apps read (from the ServerSpec). */
export interface AppOptions {
  /** bank: guard the read-modify-write of a balance with the lock. */
  lock: boolean
  /** The longest request an app accepts: a bank line, a length-prefixed body (bytes). */
  maxLength: number
}

export function appOptions(spec: Pick<ServerSpec, 'lock' | 'maxLength'>): AppOptions {
  return { lock: spec.lock === 'on', maxLength: spec.maxLength }
}

export interface AppContext {
  conn: ConnId
  /** The server's wall-clock time, formatted like Python's time.ctime(). */
  serverTime(): string
  options: AppOptions
}

export interface App {
  name: string
  /** One line for --help and the UI. */
  summary: string
  /** The ServerSpec fields this app reads (for --help and the UI). */
  options: readonly (keyof ServerSpec)[]
  handle(ctx: AppContext): Handler
}

export const recv = (max = 1024): AppOp => ({ op: 'recv', max })
export const send = (data: Uint8Array | string): AppOp => ({
  op: 'send',
  data: typeof data === 'string' ? Buffer.from(data) : data,
})
export const sleep = (ms: number): AppOp => ({ op: 'sleep', ms })
export const lock = (name: string): AppOp => ({ op: 'lock', name })
export const unlock = (name: string): AppOp => ({ op: 'unlock', name })
export const writeState = (key: string, value: number): AppOp => ({ op: 'write', key, value })
export const phase = (name: string, edge: 'begin' | 'end'): AppOp => ({ op: 'phase', phase: name, edge })
export const protocolError = (code: string, message: string): AppOp => ({ op: 'error', code, message })

/** `const data = yield* receive(1024)`: up to `max` bytes, empty at EOF. */
export function* receive(max = 1024): Generator<AppOp, Uint8Array, OpResult> {
  const data = yield recv(max)
  return data instanceof Uint8Array ? data : new Uint8Array(0)
}

/** `const balance = yield* readState(key)`. */
export function* readState(key: string): Generator<AppOp, number, OpResult> {
  const value = yield { op: 'read', key }
  return typeof value === 'number' ? value : 0
}

/**
 * The handler a model runs for one connection: the simulated work of the seeds'
 * `time.sleep(5)` first, then the app.
 */
export function* served(app: App, ctx: AppContext, delayMs: number): Handler {
  if (delayMs > 0) yield sleep(delayMs)
  yield* app.handle(ctx)
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Python's time.ctime(): `Sun Jun 18 19:37:54 2000`, local time. */
export function ctime(date: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  const day = String(date.getDate()).padStart(2, ' ')
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${clock} ${date.getFullYear()}`
}
