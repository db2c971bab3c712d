import type { SockscopeBridge } from '../../preload/api.ts'
import { BRIDGE_NAME } from '../../preload/channels.ts'
import type { ExportAsk } from '../../servers/render/export-ask.ts'
import { EXPORT_ASK_HEADER, EXPORT_NAME_HEADER, EXPORT_PATH, type ExportLine, ExportLineSchema } from '../../servers/web/protocol.ts'

/**
 * Export video… and Export PNG, to the host that renders them with `sockscope render`'s
 * engine: web mode POSTs the recording (the trace file the page writes of it) to the
 * host's EXPORT_PATH and reads its progress lines, then the browser downloads the file;
 * Electron hands it to main through the preload's bridge, which asks where to save it.
 */

export class ExportError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

export interface ExportOutcome {
  /** Web mode: the download's URL on the host; Electron: none (main wrote the file). */
  url: string | null
  name: string
  bytes: number
  frames: number
  /** Electron: where the file went. */
  path?: string
}

export interface ExportTarget {
  /** Web mode: the host's URL for one of its paths (with the page's token). */
  resourceUrl(path: string): string | null
}

function bridge(): SockscopeBridge | undefined {
  return (globalThis as Record<string, unknown>)[BRIDGE_NAME] as SockscopeBridge | undefined
}

/** Render `ask` of `trace`; `onLine` hears every phase and progress line. Resolves with the file; null if the person cancelled Electron's save dialog. */
export async function requestExport(target: ExportTarget, ask: ExportAsk, trace: Blob, name: string, onLine: (line: ExportLine) => void, signal?: AbortSignal): Promise<ExportOutcome | null> {
  const app = bridge()
  if (app?.exportFile) {
    const result = (await app.exportFile(ask, await trace.arrayBuffer(), name, (line) => {
      const parsed = ExportLineSchema.safeParse(line)
      if (parsed.success) onLine(parsed.data)
    })) as { ok: true; result: { path: string; bytes: number; frames: number } | null } | { ok: false; error: { code: string; message: string } }
    if (!result.ok) throw new ExportError(result.error.code, result.error.message)
    return result.result && { url: null, name: result.result.path.split(/[\\/]/).pop() ?? name, path: result.result.path, bytes: result.result.bytes, frames: result.result.frames }
  }
  const url = target.resourceUrl(EXPORT_PATH)
  if (url === null) throw new ExportError('NOT_CONNECTED', 'this page has no lab to render with')
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      body: trace,
      headers: { 'Content-Type': 'application/x-ndjson', [EXPORT_ASK_HEADER]: encodeURIComponent(JSON.stringify(ask)), [EXPORT_NAME_HEADER]: encodeURIComponent(name) },
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    })
  } catch (err) {
    if (signal?.aborted) throw new ExportError('CANCELLED', 'the export was cancelled')
    throw new ExportError('NOT_CONNECTED', `cannot reach the lab to render: ${(err as Error).message}`)
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '')
    const info = (() => {
      try {
        return JSON.parse(text) as { code?: string; message?: string }
      } catch {
        return {}
      }
    })()
    throw new ExportError(info.code ?? `HTTP_${res.status}`, info.message ?? (text || `the lab answered ${res.status}`))
  }
  let outcome: ExportOutcome | null = null
  try {
    await readLines(res.body!, (raw) => {
      const parsed = ExportLineSchema.safeParse(raw)
      if (!parsed.success) return
      const line = parsed.data
      if (line.type === 'error') throw new ExportError(line.code, line.message)
      if (line.type === 'done') outcome = { url: target.resourceUrl(line.url) ?? line.url, name: line.name, bytes: line.bytes, frames: line.frames }
      else onLine(line)
    })
  } catch (err) {
    if (err instanceof ExportError) throw err
    if (signal?.aborted) throw new ExportError('CANCELLED', 'the export was cancelled')
    throw new ExportError('RENDER_FAILED', `the lab stopped answering while it rendered: ${(err as Error).message}`)
  }
  if (!outcome) throw new ExportError('RENDER_FAILED', 'the lab ended the export without a file')
  return outcome
}

/** Each NDJSON line of `body`, parsed, as it arrives. */
export async function readLines(body: ReadableStream<Uint8Array>, onLine: (value: unknown) => void): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader()
  let rest = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (value) rest += value
    let at: number
    while ((at = rest.indexOf('\n')) !== -1) {
      const line = rest.slice(0, at).trim()
      rest = rest.slice(at + 1)
      if (line) onLine(JSON.parse(line))
    }
    if (done) break
  }
  if (rest.trim()) onLine(JSON.parse(rest))
}

/** The browser downloads what the host rendered (its Content-Disposition names the file). */
export function downloadExport(outcome: ExportOutcome): void {
  if (!outcome.url) return
  const a = document.createElement('a')
  a.href = outcome.url
  a.download = outcome.name
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
}
