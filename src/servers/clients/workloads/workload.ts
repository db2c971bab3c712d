import type { EventEmitter } from '../../emitter.ts'
import type { ClientResult } from '../../host/protocol.ts'
import type { ClientSpec } from '../../spec.ts'

export interface WorkloadContext {
  emitter: EventEmitter
  spec: ClientSpec
  /** Aborted when the lab stops the workload. */
  signal: AbortSignal
}

/** The shape every client workload shares; one workload per file. */
export interface Workload {
  name: string
  summary: string
  options: readonly (keyof ClientSpec)[]
  run(ctx: WorkloadContext): Promise<ClientResult[]>
}
