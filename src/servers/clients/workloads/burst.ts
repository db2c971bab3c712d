import { SockscopeError, toErrorInfo } from '../../errors.ts'
import type { ClientResult } from '../../host/protocol.ts'
import { ClientConnection } from '../client-connection.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * Seed 003's testecho: N clients at once, each connecting, sending each word and reading
 * the reply to it, then closing. Each client's elapsed time is what the model costs it.
 */
export const burstWorkload: Workload = {
  name: 'burst',
  summary: 'N clients at once, each sends every word and reads each reply (seed 003 testecho)',
  options: ['count', 'words', 'timeout'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    return Promise.all(Array.from({ length: ctx.spec.count }, (_, i) => runEchoClient(ctx, i + 1)))
  },
}

export async function runEchoClient(ctx: WorkloadContext, client: number): Promise<ClientResult> {
  const { spec, emitter, signal } = ctx
  const started = performance.now()
  const replies: string[] = []
  let connection: ClientConnection | undefined
  const onAbort = () => connection?.destroy()
  signal.addEventListener('abort', onAbort)
  try {
    connection = await ClientConnection.open(emitter, spec.host, spec.port, spec.timeout * 1000)
    for (const word of spec.words) {
      connection.send(word)
      const reply = await connection.recv(spec.timeout * 1000)
      if (reply.byteLength === 0) throw new SockscopeError('CONNECTION_RESET', 'the server closed the connection before replying')
      replies.push(Buffer.from(reply).toString('utf8'))
    }
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
