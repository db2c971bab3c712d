import type { EventEmitter } from '../../emitter.ts'
import type { ClientResult } from '../../host/protocol.ts'
import type { ClientSpec } from '../../spec.ts'

/** Lines pushed into a running workload: the CLI's stdin, later the UI's input box. */
export interface LineSource {
  /** The next line, or undefined once the input has ended. */
  next(): Promise<string | undefined>
}

/** A LineSource fed by whoever holds it: push(line), and push(null) to end. */
export class LineQueue implements LineSource {
  private readonly lines: string[] = []
  private ended = false
  private waiter: (() => void) | undefined

  push(line: string | null): void {
    if (line === null) this.ended = true
    else if (!this.ended) this.lines.push(line)
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }

  async next(): Promise<string | undefined> {
    while (!this.lines.length && !this.ended) await new Promise<void>((resolve) => (this.waiter = resolve))
    return this.lines.shift()
  }
}

export interface WorkloadContext {
  emitter: EventEmitter
  spec: ClientSpec
  /** Aborted when the lab stops the workload. */
  signal: AbortSignal
  /** Lines pushed while the workload runs (the interactive workload reads them). */
  input?: LineSource
}

/** The shape every client workload shares; one workload per file. */
export interface Workload {
  name: string
  summary: string
  options: readonly (keyof ClientSpec)[]
  run(ctx: WorkloadContext): Promise<ClientResult[]>
}
