import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient, summarize } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * A client that sends the first half of its message, waits --hold seconds (the server is
 * now mid-message), and then resets the connection (RST, not FIN): the server's next
 * read or write fails with ECONNRESET.
 */
export const resetWorkload: Workload = {
  name: 'reset',
  summary: 'bad client: sends half a message, then resets the connection (RST) after --hold s',
  options: ['count', 'words', 'hold'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const message = Buffer.from(ctx.spec.words.join(' '))
    const half = message.subarray(0, Math.max(1, Math.floor(message.byteLength / 2)))
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.send(half)
        const { data } = await connection.collect(ctx.spec.hold * 1000)
        if (data.byteLength) replies.push(summarize(data))
        connection.reset()
      }),
    )
  },
}
