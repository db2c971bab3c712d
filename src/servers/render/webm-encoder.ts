import { existsSync } from 'node:fs'
import { type FileHandle, open, rename, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { osErrorWords, SockscopeError } from '../errors.ts'
import type { Encoder } from './encoder.ts'
import type { Size } from './plan.ts'

/**
 * WebM without ffmpeg: the frames are encoded in the render's own Chromium by WebCodecs
 * (VP9) and muxed there by mediabunny (a well-kept, dependency-free muxer); the file comes
 * back a piece at a time, each written at the offset the muxer gives (it goes back to fill
 * in sizes and cues at the end). As with the ffmpeg encoder, the file is written under a
 * hidden name beside the output and renamed when complete, memory stays at a few frames
 * (each write waits for the file, each frame for the encoder), and a failed render leaves
 * nothing behind.
 */

export interface WebmEncoderOptions {
  browser: Browser
  /** A page of this origin runs the encoder: WebCodecs needs a secure context (http://127.0.0.1 is one). */
  origin: string
  out: string
  fps: number
  size: Size
}

/** mediabunny's browser bundle (it defines a global `Mediabunny`). */
function muxerBundle(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('mediabunny'))
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir)
  return path.join(dir, 'dist', 'bundles', 'mediabunny.min.cjs')
}

/** VP9 at this many bits per second per pixel per frame: sharp text on a flat UI, a few MB a minute at 720p. */
const BITS_PER_PIXEL_FRAME = 0.08

interface EncoderPage {
  start(width: number, height: number, fps: number, bitrate: number): Promise<void>
  frame(png: string, index: number): Promise<void>
  finish(): Promise<void>
}

export async function openWebmEncoder(options: WebmEncoderOptions): Promise<Encoder> {
  const { out, fps, size } = options
  const partial = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.partial`)
  let file: FileHandle
  try {
    file = await open(partial, 'w')
  } catch (err) {
    throw new SockscopeError('RENDER_FAILED', `cannot write -o ${out}: ${osErrorWords(err)}`)
  }
  let context: BrowserContext | undefined
  let failure: SockscopeError | undefined
  let frames = 0
  const cleanUp = async () => {
    await context?.close().catch(() => {})
    await file.close().catch(() => {})
    await rm(partial, { force: true })
  }
  try {
    // A context of its own: the app's page is left as it is, and its CSP does not apply here.
    context = await options.browser.newContext({ bypassCSP: true })
    const page: Page = await context.newPage()
    await context.exposeFunction('__sockscopeWebmWrite', async (base64: string, position: number) => {
      if (failure) throw new Error(failure.message)
      const bytes = Buffer.from(base64, 'base64')
      try {
        await file.write(bytes, 0, bytes.length, position)
      } catch (err) {
        failure = new SockscopeError('RENDER_FAILED', `cannot write -o ${out}: ${osErrorWords(err)}`)
        throw err
      }
    })
    await page.goto(new URL('/sockscope-webm-encoder', options.origin).href)
    await page.addScriptTag({ path: muxerBundle() })
    await page.evaluate(() => {
      type Chunk = { data: Uint8Array; position: number }
      const M = (globalThis as unknown as { Mediabunny: typeof import('mediabunny') }).Mediabunny
      const write = (globalThis as unknown as { __sockscopeWebmWrite(b64: string, position: number): Promise<void> }).__sockscopeWebmWrite
      // Uint8Array's own base64 (Chromium 140+), or by hand.
      type Base64Array = { toBase64?(): string }
      const base64Native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64
      const toBase64 = (bytes: Uint8Array) => {
        if ((bytes as Base64Array).toBase64) return (bytes as Base64Array).toBase64!()
        let s = ''
        for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
        return btoa(s)
      }
      const fromBase64 = (text: string) => (base64Native ? base64Native(text) : Uint8Array.from(atob(text), (c) => c.charCodeAt(0)))
      let canvas: OffscreenCanvas
      let ctx: OffscreenCanvasRenderingContext2D
      let output: InstanceType<typeof M.Output>
      let source: InstanceType<typeof M.CanvasSource>
      let frameRate = 30
      const api: EncoderPage = {
        async start(width, height, fps, bitrate) {
          frameRate = fps
          canvas = new OffscreenCanvas(width, height)
          ctx = canvas.getContext('2d')!
          const target = new M.StreamTarget(new WritableStream<Chunk>({ write: (chunk) => write(toBase64(chunk.data), chunk.position) }), { chunked: true, chunkSize: 1 << 20 })
          output = new M.Output({ format: new M.WebMOutputFormat(), target })
          source = new M.CanvasSource(canvas, { codec: 'vp9', bitrate, keyFrameInterval: 2 })
          output.addVideoTrack(source, { frameRate: fps })
          await output.start()
        },
        async frame(png, index) {
          const image = await createImageBitmap(new Blob([fromBase64(png) as Uint8Array<ArrayBuffer>], { type: 'image/png' }))
          ctx.drawImage(image, 0, 0, canvas.width, canvas.height)
          image.close()
          await source.add(index / frameRate, 1 / frameRate)
        },
        async finish() {
          await output.finalize()
        },
      }
      ;(globalThis as unknown as { __sockscopeWebm: EncoderPage }).__sockscopeWebm = api
    })
    const bitrate = Math.round(size.width * size.height * fps * BITS_PER_PIXEL_FRAME)
    await page
      .evaluate(([w, h, f, b]) => (globalThis as unknown as { __sockscopeWebm: EncoderPage }).__sockscopeWebm.start(w!, h!, f!, b!), [size.width, size.height, fps, bitrate])
      .catch((err: Error) => {
        throw new SockscopeError('RENDER_FAILED', `this Chromium cannot encode VP9 with WebCodecs: ${err.message.split('\n')[0]}; render an MP4 (-o out.mp4) through ffmpeg instead`)
      })

    let aborted = false
    const abort = async () => {
      if (aborted) return
      aborted = true
      await cleanUp()
    }
    const failed = (err: unknown) => failure ?? new SockscopeError('RENDER_FAILED', `the WebM encoder stopped: ${(err as Error).message.split('\n')[0]}`)
    return {
      async write(png) {
        const index = frames++
        await page.evaluate(([b64, i]) => (globalThis as unknown as { __sockscopeWebm: EncoderPage }).__sockscopeWebm.frame(b64 as string, i as number), [png.toString('base64'), index] as const).catch((err) => {
          throw failed(err)
        })
      },
      async finish() {
        try {
          await page.evaluate(() => (globalThis as unknown as { __sockscopeWebm: EncoderPage }).__sockscopeWebm.finish()).catch((err) => {
            throw failed(err)
          })
          await file.sync()
          await file.close()
          await rename(partial, out)
        } catch (err) {
          await abort()
          if (err instanceof SockscopeError) throw err
          throw new SockscopeError('RENDER_FAILED', `cannot write -o ${out}: ${osErrorWords(err)}`)
        } finally {
          await context?.close().catch(() => {})
        }
      },
      abort,
    }
  } catch (err) {
    await cleanUp()
    if (err instanceof SockscopeError) throw err
    throw new SockscopeError('RENDER_FAILED', `cannot start the WebM encoder: ${(err as Error).message.split('\n')[0]}`)
  }
}
