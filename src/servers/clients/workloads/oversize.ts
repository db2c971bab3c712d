import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient, summarize } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * A client that sends one line far longer than any buffer (--bytes of 'x', then \n) and
 * reads what comes back meanwhile: an echo returns it all, a line-based server must
 * refuse it rather than buffer without end.
 */
export const oversizeWorkload: Workload = {
  name: 'oversize',
  summary: 'bad client: one line of --bytes bytes, far beyond any buffer; reads what comes back for --hold s',
  options: ['count', 'bytes', 'hold'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const { bytes, hold } = ctx.spec
    const line = Buffer.alloc(bytes + 1, 'x')
    line[bytes] = 0x0a
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.send(line)
        const { data, eof, error } = await connection.collect(hold * 1000, line.byteLength)
        replies.push(summarize(data))
        if (error) replies.push(`(${error.message})`)
        else if (eof) replies.push('(the server closed)')
      }),
    )
  },
}
