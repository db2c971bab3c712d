import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { osErrorWords, SockscopeError, toErrorInfo } from '../errors.ts'
import type { ExportLine } from '../web/protocol.ts'
import { askSize, type ExportAsk, exportFileName, parseExportAsk } from './export-ask.ts'
import { renderPicture, renderVideo } from './render.ts'

/**
 * The app's Export video… and Export PNG, in plain Node for both hosts: the recording the
 * page shows (as the trace file the page wrote of it, notes included) rendered with the
 * same renderVideo / renderPicture as `sockscope render`. The web host's export route
 * streams the file back; Electron's main writes it where its save dialog says.
 */

export type ExportPhase = 'opening' | 'frames' | 'encoding'

export interface ExportHooks {
  /** Where the job is: opening the recording in the headless page, drawing frames, or ffmpeg finishing the file. */
  onPhase?: (phase: ExportPhase) => void
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

export interface ExportResult {
  out: string
  bytes: number
  /** Frames drawn (1 for a picture). */
  frames: number
}

/** Render `ask` of the recording in `traceFile` to `out`. */
export async function runExport(traceFile: string, ask: ExportAsk, out: string, hooks: ExportHooks = {}): Promise<ExportResult> {
  hooks.onPhase?.('opening')
  const common = { files: [traceFile], size: askSize(ask), theme: ask.theme, captions: ask.captions, out }
  let frames = 1
  if (ask.kind === 'video') {
    const result = await renderVideo({
      ...common,
      format: ask.format,
      fps: ask.fps,
      speed: ask.speed,
      from: ask.from,
      to: ask.to,
      signal: hooks.signal,
      onProgress: (done, total) => {
        if (done === 1) hooks.onPhase?.('frames')
        hooks.onProgress?.(done, total)
        if (done === total) hooks.onPhase?.('encoding')
      },
    })
    frames = result.plan.frames
  } else {
    if (hooks.signal?.aborted) throw new SockscopeError('RENDER_FAILED', 'the render was stopped')
    await renderPicture({ ...common, scale: ask.scale, at: ask.at, view: ask.view })
    hooks.onProgress?.(1, 1)
  }
  return { out, bytes: (await stat(out)).size, frames }
}

/** A private folder for one export's files (the page's trace, the output), removed by `remove()`. */
export async function exportScratch(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sockscope-export-'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** What a host needs of its platform to export to a file the person picks (Electron's save dialog). */
export interface SavePicker {
  /** Where to write, proposing `suggestedName`; null if the person cancelled. */
  pickSavePath(suggestedName: string): Promise<string | null>
}

/**
 * Electron's export: the save dialog first (nothing is rendered for a cancelled one), then
 * the page's trace into a scratch folder and the render straight to the picked path.
 * Resolves null when cancelled.
 */
export async function exportToPickedFile(trace: Uint8Array, ask: ExportAsk, baseName: string, picker: SavePicker, hooks: ExportHooks = {}): Promise<ExportResult | null> {
  const out = await picker.pickSavePath(exportFileName(baseName, ask))
  if (!out) return null
  const scratch = await exportScratch()
  try {
    const traceFile = path.join(scratch.dir, 'recording.ndjson')
    await writeFile(traceFile, trace).catch((err: unknown) => {
      throw new SockscopeError('RENDER_FAILED', `cannot keep the recording to render it: ${osErrorWords(err)}`)
    })
    return await runExport(traceFile, ask, out, hooks)
  } finally {
    await scratch.remove()
  }
}

/**
 * What Electron's main answers the page's exportFile (the preload's bridge): the ask
 * checked, the save dialog, the render, its progress as the web route's lines; a failure
 * as `{ ok: false, error }` with its code (ENCODER_MISSING says how to install ffmpeg).
 */
export async function exportForApp(
  rawAsk: unknown,
  trace: ArrayBuffer | Uint8Array,
  baseName: string,
  picker: SavePicker,
  send: (line: ExportLine) => void,
): Promise<{ ok: true; result: { path: string; bytes: number; frames: number } | null } | { ok: false; error: { code: string; message: string } }> {
  try {
    const ask = parseExportAsk(rawAsk)
    const bytes = trace instanceof Uint8Array ? trace : new Uint8Array(trace)
    if (bytes.byteLength === 0) throw new SockscopeError('BAD_OPTION', 'the export carried no recording')
    const result = await exportToPickedFile(bytes, ask, baseName, picker, {
      onPhase: (phase) => send({ type: 'phase', phase }),
      onProgress: (done, total) => send({ type: 'progress', done, total }),
    })
    return { ok: true, result: result && { path: result.out, bytes: result.bytes, frames: result.frames } }
  } catch (err) {
    return { ok: false, error: toErrorInfo(err) }
  }
}
