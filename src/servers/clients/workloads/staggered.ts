import type { ClientResult } from '../../host/protocol.ts'
import { runEchoClient } from './burst.ts'
import { pause } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/**
 * Clients that arrive one every --interval ms rather than all at once, each the burst's
 * echo client: on a server that serves one at a time, the queue builds up or drains
 * depending on whether the interval is shorter than the service time.
 */
export const staggeredWorkload: Workload = {
  name: 'staggered',
  summary: 'N echo clients, one starting every --interval ms',
  options: ['count', 'words', 'interval', 'timeout'],

  async run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const running: Promise<ClientResult>[] = []
    for (let client = 1; client <= ctx.spec.count && !ctx.signal.aborted; client++) {
      if (client > 1) await pause(ctx.spec.interval, ctx.signal)
      running.push(runEchoClient(ctx, client))
    }
    return Promise.all(running)
  },
}
