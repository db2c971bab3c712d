import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient, summarize } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/** A client of another protocol altogether: no '<n> ' in front. */
const GARBAGE = 'GET / HTTP/1.0\r\n\r\n'

/**
 * For the length-prefixed echo: a client that speaks another protocol (an HTTP request)
 * where `<n> <data>` is expected. The server must answer with an error and close, not
 * crash, and not wait for a length that will never come.
 */
export const garbagePrefixWorkload: Workload = {
  name: 'garbage-prefix',
  summary: "bad client (for length-prefixed): sends an HTTP request instead of '<n> <data>', reads the answer",
  options: ['count', 'hold'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.send(GARBAGE)
        const { data, eof, error } = await connection.collect(ctx.spec.hold * 1000)
        replies.push(summarize(data))
        if (error) replies.push(`(${error.message})`)
        else if (eof) replies.push('(the server closed)')
      }),
    )
  },
}
