import crypto from 'node:crypto'
import fs from 'node:fs'
import type http from 'node:http'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SockscopeError, toErrorInfo } from '../errors.ts'
import { EXPORT_MIME, type ExportAsk, exportExtension, exportFileName, parseExportAsk } from '../render/export-ask.ts'
import { exportScratch, type ExportPhase, runExport } from '../render/export-job.ts'
import { EXPORT_ASK_HEADER, EXPORT_NAME_HEADER, EXPORT_PATH, type ExportLine } from './protocol.ts'

/**
 * Web mode's Export video… and Export PNG. The page POSTs the recording it shows (the
 * trace file it writes of it, notes included) to EXPORT_PATH with the ask in the
 * EXPORT_ASK_HEADER header; the host renders it with `sockscope render`'s engine and
 * answers with NDJSON lines as it goes (ExportLine: the phase, frames done of total, then
 * where to download the file, or why it failed). Closing the response (the dialog's
 * Cancel) stops the render and removes what it wrote. The file waits at
 * EXPORT_PATH/<id> for its download: one at a time, for KEEP_MS, removed on close().
 *
 * Bounds: one render at a time per host (a render is a headless Chromium and an ffmpeg:
 * two would halve each other's speed, and more would take the machine), the upload at
 * most MAX_EXPORT_TRACE_BYTES, progress lines at most every PROGRESS_MS.
 */

export const MAX_EXPORT_TRACE_BYTES = 1024 * 1024 * 1024
const KEEP_MS = 10 * 60_000
const PROGRESS_MS = 100

interface Finished {
  id: string
  file: string
  name: string
  mime: string
  remove(): Promise<void>
  timer: NodeJS.Timeout
}

export class ExportRoute {
  private running: AbortController | null = null
  private finished: Finished | null = null
  private closed = false
  private readonly log: (line: string) => void

  constructor(options: { log: (line: string) => void }) {
    this.log = options.log
  }

  /** Whether this route answers `pathname`. */
  static owns(pathname: string): boolean {
    return pathname === EXPORT_PATH || pathname.startsWith(`${EXPORT_PATH}/`)
  }

  /** POST EXPORT_PATH: render; GET EXPORT_PATH/<id>: the rendered file. Anything else is refused. The caller has checked the request is the page's own. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): void {
    if (pathname === EXPORT_PATH && req.method === 'POST') return void this.render(req, res)
    if (pathname !== EXPORT_PATH && (req.method === 'GET' || req.method === 'HEAD')) return this.serve(pathname.slice(EXPORT_PATH.length + 1), req, res)
    answerError(res, 405, new SockscopeError('BAD_MESSAGE', 'POST a recording to render it, GET what was rendered'))
  }

  private async render(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let ask: ExportAsk
    try {
      const header = req.headers[EXPORT_ASK_HEADER]
      if (typeof header !== 'string') throw new SockscopeError('BAD_OPTION', `an export names what to render in its ${EXPORT_ASK_HEADER} header`)
      let raw: unknown
      try {
        raw = JSON.parse(decodeURIComponent(header))
      } catch {
        throw new SockscopeError('BAD_OPTION', `the ${EXPORT_ASK_HEADER} header is not JSON`)
      }
      ask = parseExportAsk(raw)
      const length = Number(req.headers['content-length'] ?? NaN)
      if (length > MAX_EXPORT_TRACE_BYTES) throw tooLarge()
    } catch (err) {
      return answerError(res, 400, err, req)
    }
    if (this.running || this.closed)
      return answerError(res, 409, new SockscopeError('LIMIT_REACHED', 'another export is being rendered on this lab: one renders at a time; wait for it, or cancel it'), req)
    const controller = new AbortController()
    this.running = controller
    const scratch = await exportScratch()
    let kept = false
    const stop = () => controller.abort()
    res.once('close', stop)
    try {
      const traceFile = path.join(scratch.dir, 'recording.ndjson')
      await receiveTrace(req, traceFile)
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' })
      const send = (line: ExportLine) => void (res.writableEnded || res.destroyed ? undefined : res.write(JSON.stringify(line) + '\n'))
      let lastSent = 0
      const out = path.join(scratch.dir, `export.${exportExtension(ask)}`)
      const result = await runExport(traceFile, ask, out, {
        signal: controller.signal,
        onPhase: (phase: ExportPhase) => send({ type: 'phase', phase }),
        onProgress: (done, total) => {
          const now = performance.now()
          if (done < total && now - lastSent < PROGRESS_MS) return
          lastSent = now
          send({ type: 'progress', done, total })
        },
      })
      await fs.promises.rm(traceFile, { force: true })
      if (controller.signal.aborted) throw new SockscopeError('RENDER_FAILED', 'the render was stopped')
      const id = crypto.randomBytes(12).toString('hex')
      await this.forget()
      const name = exportFileName(recordingName(req.headers[EXPORT_NAME_HEADER]), ask)
      this.finished = { id, file: out, name, mime: EXPORT_MIME[exportExtension(ask)], remove: scratch.remove, timer: setTimeout(() => void this.forget(id), KEEP_MS).unref() }
      kept = true
      send({ type: 'done', url: `${EXPORT_PATH}/${id}`, name, bytes: result.bytes, frames: result.frames })
      res.end()
    } catch (err) {
      if (controller.signal.aborted) this.log('sockscope web: an export was cancelled; what it had rendered is removed')
      if (!res.headersSent) answerError(res, err instanceof SockscopeError && err.code === 'LIMIT_REACHED' ? 413 : 500, err, req)
      else if (!res.destroyed) res.end(JSON.stringify({ type: 'error', ...toErrorInfo(err) } satisfies ExportLine) + '\n')
    } finally {
      res.off('close', stop)
      if (this.running === controller) this.running = null
      if (!kept) await scratch.remove()
    }
  }

  private serve(id: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const found = this.finished
    if (!found || !/^[0-9a-f]{24}$/.test(id) || !crypto.timingSafeEqual(Buffer.from(id.padEnd(24)), Buffer.from(found.id)))
      return answerError(res, 404, new SockscopeError('BAD_MESSAGE', 'no such export: it was downloaded by a newer one, or kept past its time; export again'))
    fs.stat(found.file, (err, stats) => {
      if (err) return answerError(res, 404, new SockscopeError('BAD_MESSAGE', 'that export is gone; export again'))
      res.writeHead(200, {
        'Content-Type': found.mime,
        'Content-Length': stats.size,
        'Cache-Control': 'no-store',
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(found.name)}`,
      })
      if (req.method === 'HEAD') return void res.end()
      fs.createReadStream(found.file)
        .on('error', () => res.destroy())
        .pipe(res)
    })
  }

  private async forget(id?: string): Promise<void> {
    const found = this.finished
    if (!found || (id !== undefined && found.id !== id)) return
    this.finished = null
    clearTimeout(found.timer)
    await found.remove()
  }

  /** Stop a render under way and remove every file this route keeps; idempotent. */
  async close(): Promise<void> {
    this.closed = true
    this.running?.abort()
    await this.forget()
  }
}

function recordingName(header: string | string[] | undefined): string {
  try {
    return typeof header === 'string' ? decodeURIComponent(header).slice(0, 200) : 'sockscope'
  } catch {
    return 'sockscope'
  }
}

function tooLarge(): SockscopeError {
  return new SockscopeError('LIMIT_REACHED', `the recording is larger than the ${MAX_EXPORT_TRACE_BYTES / 1024 ** 3} GiB an export takes; render a part of it with sockscope render --from --to`)
}

/** The request's body into `file`, refused past MAX_EXPORT_TRACE_BYTES (the file is removed with its folder). */
async function receiveTrace(req: http.IncomingMessage, file: string): Promise<void> {
  let received = 0
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length
      done(received > MAX_EXPORT_TRACE_BYTES ? tooLarge() : null, chunk)
    },
  })
  try {
    await pipeline(req, counter, fs.createWriteStream(file))
  } catch (err) {
    if (err instanceof SockscopeError) throw err
    throw new SockscopeError('RENDER_FAILED', `the recording did not arrive whole: ${(err as Error).message}`)
  }
  if (received === 0) throw new SockscopeError('BAD_OPTION', 'the export carried no recording')
}

/** A refused export: its status, and `{ code, message }` as JSON; the body is not read further (the connection closes). */
function answerError(res: http.ServerResponse, status: number, err: unknown, req?: http.IncomingMessage): void {
  if (res.headersSent) return void res.destroy()
  const info = toErrorInfo(err)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' })
  res.end(JSON.stringify(info))
  // An unread upload would otherwise be read to its end to keep the connection.
  req?.resume()
}
