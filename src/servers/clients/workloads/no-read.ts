import type { ClientResult } from '../../host/protocol.ts'
import { clients, pause, runClient } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * The blocking-send lesson: a client that sends a lot (--bytes, as one length-prefixed
 * message, so an echo of either kind answers it) and never reads. Once its receive buffer
 * and the server's send buffer are full, a server's send to it cannot complete: a
 * blocking send stalls whatever runs it, a loop with write-select keeps going. After
 * --hold seconds it leaves with a reset (unread data makes the kernel send RST).
 */
export const noReadWorkload: Workload = {
  name: 'no-read',
  summary: 'bad client: sends --bytes and never reads, for --hold s (the blocking-send lesson)',
  options: ['count', 'bytes', 'hold'],

  run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const { bytes, hold } = ctx.spec
    const message = Buffer.concat([Buffer.from(`${bytes} `), Buffer.alloc(bytes, 'x')])
    return clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.stopReading()
        connection.send(message)
        await pause(hold * 1000, ctx.signal)
        replies.push(`sent ${message.byteLength} bytes, read none; ${connection.pendingBytes} bytes waiting unread in this process`)
        connection.reset()
      }),
    )
  },
}
