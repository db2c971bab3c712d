import { SockscopeError } from '../../errors.ts'
import type { ClientResult } from '../../host/protocol.ts'
import { clients, pause, runClient } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * Seed 004's client for the length-prefixed echo: sends `<n> <data>` (data: the words,
 * space-separated) in pieces of --chunk bytes, --gap ms apart, each piece its own TCP
 * segment, so a server that reads between pieces sees the prefix itself split across
 * reads (one that gets to the socket later than --gap, a forked child still starting,
 * reads the pieces that wait together). Then it reads until the server closes, which
 * it does after echoing exactly n bytes.
 */
export const lengthPrefixedWorkload: Workload = {
  name: 'length-prefixed',
  summary: "N clients sending '<n> <data>' in small pieces, reading the echo until the server closes (seed 004)",
  options: ['count', 'words', 'chunk', 'gap', 'timeout'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const { spec, signal } = ctx
    const body = Buffer.from(spec.words.join(' '))
    const message = Buffer.concat([Buffer.from(`${body.byteLength} `), body])
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.setNoDelay()
        const echoed = connection.collect(spec.timeout * 1000)
        for (let at = 0; at < message.byteLength && !signal.aborted; at += spec.chunk) {
          if (at > 0) await pause(spec.gap, signal)
          connection.send(message.subarray(at, at + spec.chunk))
        }
        const { data, eof, error } = await echoed
        replies.push(data.toString('utf8'))
        if (error) throw error
        if (!eof) throw new SockscopeError('TIMEOUT', `the server did not close within ${spec.timeout} s after its echo`)
      }),
    )
  },
}
