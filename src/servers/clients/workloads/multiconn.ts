import { SockscopeError } from '../../errors.ts'
import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * Seed 001's multiconn-client: one process opens N non-blocking connections at once and
 * drives them all from one loop. Each sends its messages (one per word) without waiting
 * for replies, counts the bytes that come back, and closes once it has received as many
 * as it sent (`recv_total == msg_total`): the server only learns it is done from the close.
 */
export const multiconnWorkload: Workload = {
  name: 'multiconn',
  summary: 'one process, N non-blocking connections sending all their messages, closing at recv_total == msg_total (seed 001)',
  options: ['count', 'words', 'timeout'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const messages = ctx.spec.words.map((word) => Buffer.from(word))
    const msgTotal = messages.reduce((sum, m) => sum + m.byteLength, 0)
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        for (const message of messages) {
          connection.send(message)
          // The seed sends the next message only when the socket is writable again.
          await connection.drained()
        }
        const { data, error } = await connection.collect(ctx.spec.timeout * 1000, msgTotal)
        if (data.byteLength) replies.push(data.toString('utf8'))
        if (error) throw error
        if (data.byteLength < msgTotal)
          throw new SockscopeError('TIMEOUT', `received ${data.byteLength} of ${msgTotal} bytes before the server closed or went quiet`)
      }),
    )
  },
}
