import { type HostMessage, HostMessageSchema, type Method, type Request } from '../../servers/web/protocol.ts'
import type { Transport, TransportStatus } from './transport.ts'

export class ApiError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

type Params<M extends Method> = Extract<Request, { method: M }>['params']

/**
 * Requests with promises over a transport, and every host message checked with the
 * protocol's schema before anyone sees it: a malformed message is dropped and reported.
 */
export class LabClient {
  private readonly transport: Transport
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private readonly listeners: ((message: HostMessage) => void)[] = []
  private readonly invalid: ((problem: string) => void)[] = []

  constructor(transport: Transport) {
    this.transport = transport
    transport.onMessage((raw) => this.receive(raw))
    transport.onStatus((status) => {
      if (status === 'closed') for (const [id, p] of this.pending) {
        p.reject(new ApiError('NOT_CONNECTED', 'the connection to the lab was lost'))
        this.pending.delete(id)
      }
    })
  }

  get hostKind(): 'web' | 'electron' {
    return this.transport.kind
  }

  onMessage(listener: (message: HostMessage) => void): void {
    this.listeners.push(listener)
  }

  onInvalid(listener: (problem: string) => void): void {
    this.invalid.push(listener)
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.transport.onStatus(listener)
  }

  request<M extends Method>(method: M, params: Params<M>): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.transport.send({ type: 'request', id, method, params })
    })
  }

  /** Exposed for tests: handle one raw message as if it came from the host. */
  receive(raw: unknown): void {
    const parsed = HostMessageSchema.safeParse(raw)
    if (!parsed.success) {
      const problem = `ignored a malformed message from the host: ${parsed.error.issues[0]?.message ?? 'invalid'}`
      for (const l of this.invalid) l(problem)
      return
    }
    // Events past their common fields are passed through as the host sent them.
    const message = parsed.data as HostMessage
    if (message.type === 'response') {
      const waiting = this.pending.get(message.id)
      if (!waiting) return
      this.pending.delete(message.id)
      if (message.ok) waiting.resolve(message.result)
      else waiting.reject(new ApiError(message.error?.code ?? 'INTERNAL', message.error?.message ?? 'request failed'))
      return
    }
    for (const l of this.listeners) l(message)
  }
}
