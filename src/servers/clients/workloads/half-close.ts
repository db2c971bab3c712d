import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient, summarize } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * A client that sends its words as one message, then shuts down its sending side
 * (shutdown(SHUT_WR): the server reads EOF) and keeps reading. A server that closes at
 * EOF without sending what it owes, or that cannot write to a half-closed socket, loses
 * the reply.
 */
export const halfCloseWorkload: Workload = {
  name: 'half-close',
  summary: 'bad client: sends, shuts down its write side, reads until the server closes (or --hold s)',
  options: ['count', 'words', 'hold'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.send(ctx.spec.words.join(' '))
        connection.shutdownWrite()
        const { data, eof, error } = await connection.collect(ctx.spec.hold * 1000)
        replies.push(summarize(data))
        if (error) replies.push(`(${error.message})`)
        else if (!eof) replies.push(`(the server had not closed after ${ctx.spec.hold} s)`)
      }),
    )
  },
}
