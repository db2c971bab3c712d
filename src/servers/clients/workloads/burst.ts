import { SockscopeError } from '../../errors.ts'
import type { ClientResult } from '../../host/protocol.ts'
import { clients, runClient } from './client-run.ts'
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
    return clients(ctx, (client) => runEchoClient(ctx, client))
  },
}

/** Seed 003's echo-client: one message per word, one reply read after each. */
export function runEchoClient(ctx: WorkloadContext, client: number): Promise<ClientResult> {
  const { spec } = ctx
  return runClient(ctx, client, async (connection, replies) => {
    for (const word of spec.words) {
      connection.send(word)
      const reply = await connection.recv(spec.timeout * 1000)
      if (reply.byteLength === 0) throw new SockscopeError('CONNECTION_RESET', 'the server closed the connection before replying')
      replies.push(Buffer.from(reply).toString('utf8'))
    }
  })
}
