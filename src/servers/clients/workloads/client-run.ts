import { SockscopeError, toErrorInfo } from '../../errors.ts'
import type { ClientResult } from '../../host/protocol.ts'
import { ClientConnection } from '../client-connection.ts'
import type { WorkloadContext } from './workload.ts'

/**
 * One client's run: open a connection, let `body` use it and collect replies, and turn
 * whatever goes wrong into the client's result (and an error event), never a crash. The
 * connection is closed, or cut, when `body` is done; a stopped workload cuts it at once.
 */
export async function runClient(
  ctx: WorkloadContext,
  client: number,
  body: (connection: ClientConnection, replies: string[]) => Promise<void>,
): Promise<ClientResult> {
  const { spec, emitter, signal } = ctx
  const started = performance.now()
  const replies: string[] = []
  let connection: ClientConnection | undefined
  const onAbort = () => connection?.destroy()
  signal.addEventListener('abort', onAbort)
  try {
    connection = await ClientConnection.open(emitter, spec.host, spec.port, spec.timeout * 1000)
    if (signal.aborted) throw new SockscopeError('NOT_RUNNING', 'stopped')
    await body(connection, replies)
    await connection.close()
    return { client, conn: connection.conn, replies, elapsedMs: performance.now() - started }
  } catch (err) {
    const error = signal.aborted ? { code: 'NOT_RUNNING' as const, message: 'stopped' } : toErrorInfo(err)
    if (connection) {
      if (!signal.aborted) emitter.emit({ kind: 'error', conn: connection.conn, code: error.code, message: error.message })
      connection.destroy(err as SockscopeError)
    } else emitter.emit({ kind: 'error', code: error.code, message: error.message })
    return { client, conn: connection?.conn, replies, elapsedMs: performance.now() - started, error }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** `count` clients at once, numbered from 1. */
export function clients(ctx: WorkloadContext, run: (client: number) => Promise<ClientResult>): Promise<ClientResult[]> {
  return Promise.all(Array.from({ length: ctx.spec.count }, (_, i) => run(i + 1)))
}

/** Wait `ms`, or less if the workload is stopped. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

const SHOWN_BYTES = 200

/** What came back, as one reply line: the start of it, and its size when it is long. */
export function summarize(data: Uint8Array): string {
  const text = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, SHOWN_BYTES)).toString('utf8')
  return data.byteLength > SHOWN_BYTES ? `${text}… (${data.byteLength} bytes)` : text
}
