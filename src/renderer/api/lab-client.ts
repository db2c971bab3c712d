import { type HostMessage, HostMessageSchema, MAX_RECORDING_CHUNK, type Method, RECORDINGS_PATH, RecordingChunkSchema, type Request } from '../../servers/web/protocol.ts'
import { checkEvents } from '../../servers/event-check.ts'
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

  /**
   * The URL of one of the host's HTTP paths (web mode, token included), or null where the
   * host has none (Electron: everything goes through requests).
   */
  resourceUrl(path: string): string | null {
    return this.transport.resourceUrl?.(path) ?? null
  }

  /**
   * A recording's file, as the host lists it, byte for byte. Web mode: one streamed GET of
   * its HTTP path. Electron: `readRecording` requests of MAX_RECORDING_CHUNK bytes, one at
   * a time, put together into a Blob (each chunk is decoded and let go of as it comes, so
   * the page holds the file once, plus one chunk). Rejects with ApiError saying why.
   */
  async fetchRecording(index: number): Promise<Blob> {
    const url = this.resourceUrl(`${RECORDINGS_PATH}${index}`)
    if (url !== null) {
      let res: Response
      try {
        res = await fetch(url, { cache: 'no-store', credentials: 'same-origin' })
      } catch (err) {
        throw new ApiError('NOT_CONNECTED', `cannot fetch recording ${index} from the lab: ${(err as Error).message}`)
      }
      if (!res.ok) throw new ApiError(res.status === 403 ? 'NOT_ALLOWED' : 'TRACE_CORRUPT', (await res.text().catch(() => '')) || `the lab answered ${res.status} for recording ${index}`)
      return res.blob()
    }
    const parts: Uint8Array<ArrayBuffer>[] = []
    for (let offset = 0; ; ) {
      const parsed = RecordingChunkSchema.safeParse(await this.request('readRecording', { index, offset, length: MAX_RECORDING_CHUNK }))
      if (!parsed.success) throw new ApiError('BAD_MESSAGE', `the lab answered readRecording with something else: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
      const chunk = parsed.data
      const bytes = fromBase64(chunk.data)
      if (chunk.offset !== offset || bytes.length !== chunk.bytes) throw new ApiError('BAD_MESSAGE', `the lab answered readRecording for offset ${offset} with ${bytes.length} bytes at ${chunk.offset}`)
      parts.push(bytes)
      offset += bytes.length
      if (chunk.eof) break
      // Not at the end and nothing read would ask for the same chunk forever.
      if (bytes.length === 0) throw new ApiError('BAD_MESSAGE', `the lab sent no bytes of recording ${index} at ${offset} and did not say it had ended`)
    }
    return new Blob(parts, { type: 'application/x-ndjson' })
  }

  /** Exposed for tests: handle one raw message as if it came from the host. */
  receive(raw: unknown): void {
    const r = raw as { type?: unknown; now?: unknown; events?: unknown } | null
    if (r?.type === 'events') {
      // The live stream's hot path: checked field by field, the events passed on as they came.
      const problem = typeof r.now === 'number' ? checkEvents(r.events) : 'now: expected a number'
      if (problem) for (const l of this.invalid) l(`ignored a malformed message from the host: ${problem}`)
      else for (const l of this.listeners) l(r as HostMessage)
      return
    }
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

/** base64 to bytes: the built-in decoder where there is one (Chromium 140+, so Electron 45), else atob, a few ms slower per 4 MiB. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const typed = Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }
  if (typeof typed.fromBase64 === 'function') return typed.fromBase64(text)
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
