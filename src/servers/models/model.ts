import type { App } from '../apps/app.ts'
import type { EventEmitter } from '../emitter.ts'
import type { ServerSpec } from '../spec.ts'

/** What a model gets from its host process. */
export interface ModelContext {
  emitter: EventEmitter
  app: App
  spec: ServerSpec
}

/** A started server. stop() closes the listening sockets, ends every connection,
 *  process and thread the model started, and is idempotent. */
export interface RunningServer {
  readonly host: string
  readonly ports: number[]
  /** Resolves once the handlers it starts ahead (spares.ts) are all booted; absent: it starts none. */
  readonly warm?: Promise<void>
  stop(): Promise<void>
}

/**
 * The shape every concurrency model shares; one model per file. `options` lists the
 * spec fields that mean something to this model (for --help and the UI).
 */
export interface ServerModel {
  name: string
  summary: string
  options: readonly (keyof ServerSpec)[]
  /** Options among `options` that mean something only with other options set so (socketserver's reap: only with the forking mixin). */
  optionsNeed?: Partial<Record<keyof ServerSpec, Partial<ServerSpec>>>
  start(ctx: ModelContext): Promise<RunningServer>
}
