import type { ConnId } from '../events.ts'

/**
 * An application protocol, written once as straight-line code that *yields* the socket
 * operations it wants (recv, send, sleep). Each concurrency model interprets those
 * operations its own way: a worker thread blocks on them, a forked child or a coroutine
 * awaits them, an event loop resumes the handler when the socket is ready. So the same
 * echo handler runs unchanged in every model, and the model alone decides what waits.
 */
export type AppOp =
  | { op: 'recv'; max: number }
  | { op: 'send'; data: Uint8Array }
  | { op: 'sleep'; ms: number }

/** What a handler gets back from each operation: recv yields bytes (empty at EOF). */
export type OpResult = Uint8Array | undefined

export type Handler = Generator<AppOp, void, OpResult>

export interface AppContext {
  conn: ConnId
  /** The server's wall-clock time, formatted like Python's time.ctime(). */
  serverTime(): string
}

export interface App {
  name: string
  /** One line for --help and the UI. */
  summary: string
  handle(ctx: AppContext): Handler
}

export const recv = (max = 1024): AppOp => ({ op: 'recv', max })
export const send = (data: Uint8Array | string): AppOp => ({
  op: 'send',
  data: typeof data === 'string' ? Buffer.from(data) : data,
})
export const sleep = (ms: number): AppOp => ({ op: 'sleep', ms })

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
