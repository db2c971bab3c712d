import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rename, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { SockscopeError } from '../errors.ts'
import type { Size, VideoFormat } from './plan.ts'

/**
 * Frames (PNG images, in order) in, a video file out, through ffmpeg: piped on its stdin
 * (image2pipe), never a folder of thousands of files, with backpressure, so memory stays at
 * a few frames whatever the length. The file is written beside the output under a hidden
 * name and renamed when ffmpeg has finished: a render that fails (ffmpeg dying, a full
 * disk, Ctrl-C) leaves no half-written video behind.
 *
 * MP4: H.264 in yuv420p (what every player opens), moov atom first for the web. GIF: a palette made for the whole video (palettegen), then applied
 * (paletteuse); palettegen must see every frame before the first is written, so the frames
 * go to a lossless temporary video first and two more ffmpeg passes read it, rather than
 * ffmpeg holding every frame in memory.
 */
export interface Encoder {
  /** Hand one frame on; resolves when ffmpeg can take the next. */
  write(png: Buffer): Promise<void>
  /** No more frames: wait for ffmpeg, then put the file in place. */
  finish(): Promise<void>
  /** Stop and remove whatever was written; idempotent. */
  abort(): Promise<void>
}

export interface EncoderOptions {
  ffmpeg: string
  out: string
  format: VideoFormat
  fps: number
  size: Size
}

const INPUT = (fps: number) => ['-f', 'image2pipe', '-framerate', String(fps), '-c:v', 'png', '-i', 'pipe:0']

/** ffmpeg's arguments after the input for each format (the GIF's first pass: lossless RGB). */
export function encodeArgs(format: VideoFormat | 'lossless', fps: number): string[] {
  switch (format) {
    case 'mp4':
      return ['-c:v', 'libx264', '-preset', 'medium', '-crf', '18', '-tune', 'stillimage', '-pix_fmt', 'yuv420p', '-r', String(fps), '-movflags', '+faststart', '-f', 'mp4']
    case 'webm':
      throw new Error('a WebM is encoded in the browser, without ffmpeg (see webm-encoder.ts)')
    case 'lossless':
      return ['-c:v', 'libx264rgb', '-preset', 'ultrafast', '-qp', '0', '-r', String(fps), '-f', 'matroska']
    case 'gif':
      throw new Error('a GIF is made in passes (see openEncoder)')
  }
}

/** Why ffmpeg stopped, from the end of what it printed. */
function ffmpegWords(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  const lines = stderr.trim().split('\n').map((l) => l.trim()).filter(Boolean)
  const telling = lines.filter((l) => /error|invalid|no space|denied|failed|could not|unable/i.test(l)).slice(-2)
  const last = (telling.length ? telling : lines.slice(-2)).join('; ')
  return `ffmpeg ${signal ? `was killed (${signal})` : `exited with code ${code}`}${last ? `: ${last}` : ''}`
}

interface Run {
  child: ChildProcess
  done: Promise<void>
  stderr: () => string
}

function runFfmpeg(ffmpeg: string, args: string[]): Run {
  const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['pipe', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192)
  })
  // A write after ffmpeg died is EPIPE on stdin: the exit says why, not the pipe.
  child.stdin!.on('error', () => {})
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new SockscopeError('RENDER_FAILED', `cannot start ${ffmpeg}: ${err.message}`)))
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new SockscopeError('RENDER_FAILED', ffmpegWords(stderr, code, signal)))))
  })
  done.catch(() => {})
  return { child, done, stderr: () => stderr }
}

export async function openEncoder(options: EncoderOptions): Promise<Encoder> {
  const { ffmpeg, out, format, fps } = options
  const partial = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.partial`)
  const scratch = format === 'gif' ? await mkdtemp(path.join(os.tmpdir(), 'sockscope-render-')) : null
  const firstPass = scratch ? path.join(scratch, 'frames.mkv') : partial
  const run = runFfmpeg(ffmpeg, [...INPUT(fps), ...encodeArgs(format === 'gif' ? 'lossless' : format, fps), firstPass])
  let exited = false
  void run.done.then(
    () => (exited = true),
    () => (exited = true),
  )
  let aborted = false

  const cleanUp = async () => {
    await rm(partial, { force: true })
    if (scratch) await rm(scratch, { recursive: true, force: true })
  }

  const abort = async () => {
    if (aborted) return
    aborted = true
    if (!exited) {
      run.child.kill('SIGKILL')
      await run.done.catch(() => {})
    }
    await cleanUp()
  }

  return {
    async write(png) {
      if (exited) await run.done // rejects with why ffmpeg stopped
      const stdin = run.child.stdin!
      if (!stdin.write(png)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            cleanup()
            resolve()
          }
          const onDone = () => {
            cleanup()
            run.done.then(() => reject(new SockscopeError('RENDER_FAILED', 'ffmpeg stopped reading frames before the last')), reject)
          }
          const cleanup = () => {
            stdin.off('drain', onDrain)
            run.child.off('close', onDone)
          }
          stdin.once('drain', onDrain)
          run.child.once('close', onDone)
        })
      }
    },
    async finish() {
      try {
        run.child.stdin!.end()
        await run.done
        if (scratch) {
          const palette = path.join(scratch, 'palette.png')
          await runFfmpeg(ffmpeg, ['-i', firstPass, '-vf', 'palettegen=stats_mode=diff:max_colors=256', palette]).done
          await runFfmpeg(ffmpeg, ['-i', firstPass, '-i', palette, '-lavfi', 'paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle', '-f', 'gif', partial]).done
        }
        await rename(partial, out)
      } catch (err) {
        await abort()
        if (err instanceof SockscopeError) throw err
        throw new SockscopeError('RENDER_FAILED', `cannot write -o ${out}: ${(err as Error).message}`)
      } finally {
        if (scratch) await rm(scratch, { recursive: true, force: true })
      }
    },
    abort,
  }
}
