import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient, summarize } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * A bad client: connects and never sends a byte, for --hold seconds. A server that
 * waits for it in recv holds whatever serves it (a thread, a child, the only loop).
 */
export const idleWorkload: Workload = {
  name: 'idle',
  summary: 'bad client: connects, never sends, leaves after --hold s',
  options: ['count', 'hold'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        const { data, eof } = await connection.collect(ctx.spec.hold * 1000)
        if (data.byteLength) replies.push(summarize(data))
        if (eof) replies.push('(the server closed first)')
      }),
    )
  },
}
