import { writeFile, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { osErrorWords, SockscopeError } from '../errors.ts'
import { buildStatus, RENDERER_DIR, RENDERER_OUTPUTS, runBuild } from '../web/artifacts.ts'
import { checkReadable } from '../web/recordings.ts'
import { startWebHost, type WebHost } from '../web/web-host.ts'
import { type Encoder, openEncoder } from './encoder.ts'
import { type FramePlan, frameTime, planFrames, type RangeAsk, type Size, type Theme, type VideoFormat } from './plan.ts'
import type { RecordingState } from './page-hook.ts'
import { findBrowser, findFfmpeg } from './programs.ts'
import { openWebmEncoder } from './webm-encoder.ts'

/**
 * Sockscope's own renderer, drawing a recording frame by frame at virtual time: a private
 * web host (as `sockscope web FILE...` serves it) opens the trace files in a headless
 * Chromium at the video's size; for each frame the page is asked to show one instant
 * (`__sockscope.frameAt`, which resolves once every panel shows it and the canvas has drawn
 * it), and the frame is taken and handed to ffmpeg. How fast the machine is changes how
 * long a render takes, never what is in it.
 */

export interface StageOptions {
  /** Trace files of one run (or of several, side by side), as `sockscope web FILE...` takes them. */
  files: readonly string[]
  size: Size
  theme: Theme
  /** Device pixels per CSS pixel: 1 for video, 2 for a picture for slides. */
  scale?: number
  /** The timeline's window (µs since the recording's zero); by default the whole recording, as the app opens it. */
  view?: { start: number; end: number }
  /** The browser to draw with (findBrowser() by default). */
  browser?: string
  /**
   * The presenter view with its caption bar (the app's P): the timeline and the process
   * table fill the frame under a title card, and the caption narrates the playhead.
   */
  captions?: boolean
  /** The replay speed the captions are held for (the page's speed(x)); the video's own speed by default. */
  captionSpeed?: number
}

export interface VideoOptions extends StageOptions, RangeAsk {
  out: string
  format: VideoFormat
  fps: number
  speed: number
  /** After each frame handed to the encoder. */
  onProgress?: (done: number, total: number) => void
  /** Stops the render; the partial output is removed and the promise rejects. */
  signal?: AbortSignal
  ffmpeg?: string
}

export interface PictureOptions extends StageOptions {
  out: string
  /** Seconds since the recording's first event (as the app's readout shows); by default its last. */
  at?: number
}

interface Hook {
  frameAt(us: number): Promise<number>
  setView(start: number, end: number): void
  recording(): RecordingState
  presenter(on?: boolean): boolean
  filming(on?: boolean): boolean
  speed(x?: number): number
}

/** How long opening the files in the page may take, at most. */
const OPEN_TIMEOUT_MS = 120_000

interface Stage {
  page: Page
  recording: RecordingState
  browser: Browser
  /** The private web host's origin (a secure context, as WebCodecs needs). */
  origin: string
  close(): Promise<void>
}

/** The built renderer (out/renderer), built first when it is missing; one older than its sources is used as it is. */
async function ensureRenderer(): Promise<void> {
  const status = buildStatus(RENDERER_OUTPUTS)
  if (status.ok || status.reason === 'stale') return
  await runBuild()
}

/** The files open in a headless page at `size`, ready to be drawn at any instant. */
async function openStage(options: StageOptions): Promise<Stage> {
  for (const file of options.files) await checkReadable(file)
  const executablePath = options.browser ?? findBrowser()
  await ensureRenderer()
  let host: WebHost | undefined
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close().catch(() => {})
    await host?.close().catch(() => {})
  }
  try {
    host = await startWebHost({ rendererDir: RENDERER_DIR, port: 0, recordings: options.files, log: () => {}, maxSessions: 1 })
    // Loaded here, not at the top: playwright-core alone costs the CLI ~0.9 s of start-up on every command.
    const { chromium } = await import('playwright-core')
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--hide-scrollbars', '--font-render-hinting=none'],
    })
    const context = await browser.newContext({
      viewport: { width: options.size.width, height: options.size.height },
      deviceScaleFactor: options.scale ?? 1,
      colorScheme: options.theme,
      reducedMotion: 'reduce',
    })
    const page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await page.goto(host.url)
    await page
      .waitForFunction(
        () => {
          const r = (globalThis as unknown as { __sockscope?: Hook }).__sockscope?.recording()
          return r !== undefined && (r.problems.length > 0 || (r.mode === 'recording' && !r.loading && r.events > 0))
        },
        undefined,
        { polling: 50, timeout: OPEN_TIMEOUT_MS },
      )
      .catch(() => {
        throw new SockscopeError('RENDER_FAILED', `the page did not open ${options.files.join(', ')} within ${OPEN_TIMEOUT_MS / 1000} s${pageErrors.length ? `: ${pageErrors[0]}` : ''}`)
      })
    const recording = await page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.recording())
    if (recording.problems.length) throw new SockscopeError('TRACE_CORRUPT', recording.problems.join('; '))
    // No pointer in a video: the presenter view's buttons stay out of its frames.
    await page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.filming(true))
    if (options.captions !== undefined || options.captionSpeed !== undefined)
      await page.evaluate(
        ([on, speed]) => {
          const hook = (globalThis as unknown as { __sockscope: Hook }).__sockscope
          if (typeof on === 'boolean') hook.presenter(on)
          if (typeof speed === 'number') hook.speed(speed)
        },
        [options.captions ?? null, options.captionSpeed ?? null] as const,
      )
    if (options.view) await page.evaluate(([start, end]) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.setView(start!, end!), [options.view.start, options.view.end])
    return { page, recording, close, browser, origin: host.url }
  } catch (err) {
    await close()
    if (err instanceof SockscopeError) throw err
    const message = (err as Error).message.split('\n')[0]
    throw new SockscopeError('RENDER_FAILED', `cannot draw the frames in ${executablePath}: ${message}`)
  }
}

const frameAt = (page: Page, us: number) => page.evaluate((t) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.frameAt(t), us)

async function capture(cdp: CDPSession): Promise<Buffer> {
  const shot = (await cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true })) as { data: string }
  return Buffer.from(shot.data, 'base64')
}

export interface VideoResult {
  plan: FramePlan
  /** The recording's first event (µs, store time): what the range is counted from. */
  startUs: number
  out: string
  /** Wall-clock time of the render (ms). */
  elapsedMs: number
}

/** The frames of `options`' range, encoded to options.out. */
export async function renderVideo(options: VideoOptions): Promise<VideoResult> {
  const started = performance.now()
  // WebM is encoded in the browser (WebCodecs); MP4 and GIF need ffmpeg, found before anything starts.
  const ffmpeg = options.format === 'webm' ? null : (options.ffmpeg ?? findFfmpeg())
  // The range's checks that need no recording, before a browser starts.
  planFrames({ ...options, to: options.to ?? (options.from ?? 0) + 1 }, { start: 0, end: Number.POSITIVE_INFINITY })
  // Captions are held long enough to read at the speed the video plays the recording.
  const stage = await openStage({ ...options, captionSpeed: options.captionSpeed ?? (options.captions ? options.speed : undefined) })
  let encoder: Encoder | undefined
  try {
    const plan = planFrames(options, stage.recording)
    encoder = ffmpeg
      ? await openEncoder({ ffmpeg, out: options.out, format: options.format, fps: plan.fps, size: options.size })
      : await openWebmEncoder({ browser: stage.browser, origin: stage.origin, out: options.out, fps: plan.fps, size: options.size })
    const cdp = await stage.page.context().newCDPSession(stage.page)
    for (let i = 0; i < plan.frames; i++) {
      if (options.signal?.aborted) throw new SockscopeError('RENDER_FAILED', 'the render was stopped')
      await frameAt(stage.page, frameTime(plan, i))
      await encoder.write(await capture(cdp))
      options.onProgress?.(i + 1, plan.frames)
    }
    await encoder.finish()
    return { plan, startUs: stage.recording.start, out: options.out, elapsedMs: performance.now() - started }
  } catch (err) {
    await encoder?.abort()
    throw err
  } finally {
    await stage.close()
  }
}

export interface PictureResult {
  out: string
  /** The playhead shown (µs, store time) and the recording's first event. */
  startUs: number
  atUs: number
  width: number
  height: number
}

/** One PNG of the view at `at` (2 device pixels per CSS pixel by default: sharp on slides). */
export async function renderPicture(options: PictureOptions): Promise<PictureResult> {
  const scale = options.scale ?? 2
  const stage = await openStage({ ...options, scale })
  try {
    const { start, end } = stage.recording
    const wanted = options.at === undefined ? end : start + options.at * 1e6
    if (!Number.isFinite(wanted) || wanted < start) throw new SockscopeError('BAD_OPTION', `--at must be seconds since the recording's first event, not '${options.at}'`)
    // (A playhead at the last event, sent as seconds and back, may land a rounding error past it.)
    if (wanted > end + 1) throw new SockscopeError('BAD_OPTION', `--at ${options.at} s is past the recording's end (${((end - start) / 1e6).toFixed(3)} s)`)
    const atUs = await frameAt(stage.page, Math.min(wanted, end))
    const png = await stage.page.screenshot({ type: 'png', scale: 'device' })
    const partial = path.join(path.dirname(options.out), `.${path.basename(options.out)}.${process.pid}.partial`)
    try {
      await writeFile(partial, png)
      await rename(partial, options.out)
    } catch (err) {
      await rm(partial, { force: true })
      throw new SockscopeError('RENDER_FAILED', `cannot write ${options.out}: ${osErrorWords(err)}`)
    }
    return { out: options.out, atUs, startUs: start, width: options.size.width * scale, height: options.size.height * scale }
  } finally {
    await stage.close()
  }
}
