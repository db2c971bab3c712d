import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, readdirSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { frameTime, planFrames } from '../../../src/servers/render/plan.ts'
import { ensureBuilt } from '../../helpers/built.ts'
import { cli, recordForkRun, runCli } from '../../helpers/cli.ts'
import { haveChromium, openPage, SHOTS, startWeb } from '../../e2e/browser.ts'

/**
 * `sockscope render` (issue 14) on a real fork run recorded by the CLI: the video ffprobe
 * reads has the size, rate and duration asked (range / speed), and its frames are the app's
 * own picture at the same playhead (the app in Chromium, screenshot, compared pixel by pixel
 * with ffmpeg decoding both). Frames and screenshots: test-results/e2e/render-*.png.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-render-'))
const serverTrace = path.join(tmp, 'server.ndjson')
const clientTrace = path.join(tmp, 'clients.ndjson')
const haveFfmpeg = existsSync('/usr/bin/ffmpeg') && existsSync('/usr/bin/ffprobe')
const SIZE = { width: 1280, height: 720 }

/** An image (PNG, or frame `frame` of a video) as rgb24 bytes, decoded by ffmpeg. */
function rgb(file: string, frame?: number): Buffer {
  const select = frame === undefined ? [] : ['-vf', `select=eq(n\\,${frame})`]
  return execFileSync('ffmpeg', ['-v', 'error', '-i', file, ...select, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 64 << 20 })
}

/** How two pictures differ: the mean difference per channel (0–255), and the share of pixels off by more than 48 in a channel. */
function difference(a: Buffer, b: Buffer): { mean: number; changed: number } {
  expect(a.length).toBe(b.length)
  let sum = 0
  let changed = 0
  for (let i = 0; i < a.length; i += 3) {
    const d = Math.max(Math.abs(a[i]! - b[i]!), Math.abs(a[i + 1]! - b[i + 1]!), Math.abs(a[i + 2]! - b[i + 2]!))
    sum += Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!)
    if (d > 48) changed++
  }
  return { mean: sum / a.length, changed: changed / (a.length / 3) }
}

const probe = (file: string) =>
  JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height,r_frame_rate,nb_frames,pix_fmt:format=duration', '-of', 'json', file], { encoding: 'utf8' })) as {
    streams: { codec_name: string; width: number; height: number; r_frame_rate: string; pix_fmt: string }[]
    format: { duration: string }
  }

beforeAll(async () => {
  await ensureBuilt()
  // Seed 003's forking server: 3 clients whose children sleep 0.5 s, zombies until a 4th client's accept reaps them.
  await recordForkRun({ serverTrace, clientTrace }, { clients: 3, delaySeconds: 0.5 })
}, 120_000)
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe.skipIf(!haveChromium || !haveFfmpeg)('sockscope render', () => {
  it('renders the range frame by frame: the size, fps and duration asked, and each frame the app’s own picture at its playhead', async () => {
    const out = path.join(tmp, 'fork.mp4')
    const ask = { from: 0.3, to: 1.5, fps: 10, speed: 0.5 }
    const run = await cli(['render', serverTrace, clientTrace, '-o', out, '--size', `${SIZE.width}x${SIZE.height}`, '--fps', String(ask.fps), '--speed', String(ask.speed), '--from', String(ask.from), '--to', String(ask.to)])
    expect(run.code, run.stderr.join('\n')).toBe(0)
    // Not a terminal: plain progress lines, the last one whole.
    expect(run.stderr.at(-1)).toMatch(/^sockscope: rendered 24\/24 frames \(100%\)/)
    expect(run.stdout.join('\n')).toMatch(/wrote .*fork\.mp4: 24 frames, 1280×720 at 10 fps, 2\.40 s/)
    expect(readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([])

    const { streams, format } = probe(out)
    expect(streams[0]).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, r_frame_rate: '10/1', pix_fmt: 'yuv420p' })
    // range / speed = 1.2 s / 0.5 = 2.4 s, within a frame.
    expect(Math.abs(Number(format.duration) - 2.4)).toBeLessThanOrEqual(1 / ask.fps)

    // The app itself, at the same size and playheads.
    const web = await startWeb([serverTrace, clientTrace])
    const browser = await openPage(web.url, SIZE)
    try {
      const { page } = browser
      type Hook = { recording(): { mode: string; loading: boolean; events: number; start: number; end: number }; frameAt(us: number): Promise<number> }
      await page.waitForFunction(() => {
        const r = (globalThis as unknown as { __sockscope: Hook }).__sockscope.recording()
        return r.mode === 'recording' && !r.loading && r.events > 0
      })
      const span = await page.evaluate(() => (globalThis as unknown as { __sockscope: Hook }).__sockscope.recording())
      const plan = planFrames(ask, span)
      const figures: Record<number, { mean: number; changed: number }> = {}
      const frames = [0, 9, 23]
      const shots: Buffer[] = []
      for (const frame of frames) {
        await page.evaluate((t) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.frameAt(t), frameTime(plan, frame))
        const shot = path.join(SHOTS, `render-app-${frame}.png`)
        await page.screenshot({ path: shot })
        execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', out, '-vf', `select=eq(n\\,${frame})`, '-frames:v', '1', path.join(SHOTS, `render-frame-${frame}.png`)])
        shots.push(rgb(shot))
      }
      for (const [i, frame] of frames.entries()) {
        const video = rgb(out, frame)
        figures[frame] = difference(video, shots[i]!)
        // The picture moves (the playhead, the tables): the app at another frame's instant is further off.
        const other = difference(video, shots[(i + 1) % frames.length]!)
        expect(other.changed).toBeGreaterThan(figures[frame]!.changed)
      }
      console.log('render: frame vs app screenshot', JSON.stringify(figures))
      for (const f of Object.values(figures)) {
        expect(f.mean).toBeLessThan(3)
        expect(f.changed).toBeLessThan(0.01)
      }

      // --captions: the presenter view, its caption narrating the first zombie, held for the video's speed.
      type Presenter = { presenter(on?: boolean): boolean; filming(on?: boolean): boolean; speed(x?: number): number; caption(): { text: string } | null; timeline(): { lanes: { kind: string; phases: { kind: string; start: number }[] }[] } }
      const zombieAt = await page.evaluate(() => {
        const hook = (globalThis as unknown as { __sockscope: Presenter }).__sockscope
        const starts = hook.timeline().lanes.flatMap((l) => (l.kind === 'process' ? l.phases.filter((p) => p.kind === 'zombie').map((p) => p.start) : []))
        return Math.min(...starts) + 2_000
      })
      const plain = path.join(SHOTS, 'render-app-zombie.png')
      await page.evaluate((t) => (globalThis as unknown as { __sockscope: Hook }).__sockscope.frameAt(t), zombieAt)
      await page.screenshot({ path: plain })
      const from = (zombieAt - span.start) / 1e6
      const captioned = path.join(tmp, 'captions.webm')
      const run = await cli(['render', serverTrace, clientTrace, '-o', captioned, '--captions', '--speed', '0.5', '--fps', '10', '--from', String(from), '--to', String(from + 0.05), '--quiet'])
      expect(run.code, run.stderr.join('\n')).toBe(0)
      const caption = await page.evaluate(async (t) => {
        const hook = (globalThis as unknown as { __sockscope: Presenter & Hook }).__sockscope
        hook.presenter(true)
        // As the render films it: no pointer, so no buttons in the picture.
        hook.filming(true)
        hook.speed(0.5)
        await hook.frameAt(t)
        return hook.caption()
      }, zombieAt)
      expect(caption?.text).toMatch(/a zombie until the server's next accept reaps it$/)
      const presenterShot = path.join(SHOTS, 'render-app-captions.png')
      await page.screenshot({ path: presenterShot })
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', captioned, '-frames:v', '1', path.join(SHOTS, 'render-frame-captions.png')])
      const frame = rgb(captioned, 0)
      const same = difference(frame, rgb(presenterShot))
      console.log('render --captions: frame vs presenter view', JSON.stringify(same))
      expect(same.mean).toBeLessThan(3)
      expect(same.changed).toBeLessThan(0.01)
      // Not the app as it opens: the title card and the caption bar are in the frame, without the buttons a pointer needs.
      expect(difference(frame, rgb(plain)).changed).toBeGreaterThan(0.05)
      expect(await page.getByTestId('note-start').count()).toBe(0)
      expect(await page.getByTestId('title-card').innerText()).not.toContain('Exit presenter')
    } finally {
      await browser.close()
      await web.stop()
    }
  }, 240_000)

  it('writes a PNG of the view at 2× pixel ratio, and a GIF', async () => {
    const png = path.join(tmp, 'view.png')
    const shot = await cli(['render', serverTrace, clientTrace, '--png', png, '--at', '0.8', '--size', '1280x720'])
    expect(shot.code, shot.stderr.join('\n')).toBe(0)
    const ihdr = readFileSync(png).subarray(16, 24)
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([2560, 1440])

    const gif = path.join(tmp, 'fork.gif')
    const run = await cli(['render', serverTrace, clientTrace, '-o', gif, '--size', '640x360', '--fps', '5', '--from', '0.5', '--to', '1.5', '--quiet'])
    expect(run.code, run.stderr.join('\n')).toBe(0)
    expect(run.stderr).toEqual([])
    expect(probe(gif).streams[0]).toMatchObject({ codec_name: 'gif', width: 640, height: 360 })
  }, 90_000)

  it('encodes a WebM in the browser, with no ffmpeg on the machine', async () => {
    // /usr/bin as it is but for ffmpeg and its tools (the Chromium launcher needs the rest).
    const bin = path.join(tmp, 'bin-without-ffmpeg')
    mkdirSync(bin)
    for (const name of readdirSync('/usr/bin')) if (!/^ff(mpeg|probe|play)$/.test(name)) symlinkSync(path.join('/usr/bin', name), path.join(bin, name))
    const out = path.join(tmp, 'no-ffmpeg.webm')
    const run = runCli(['render', serverTrace, clientTrace, '-o', out, '--fps', '10', '--from', '0.3', '--to', '0.6', '--quiet'], { env: { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${bin}` } })
    expect((await run.exited).code, run.stderr.join('\n')).toBe(0)
    const video = probe(out)
    expect(video.streams[0]).toMatchObject({ codec_name: 'vp9', width: SIZE.width, height: SIZE.height, r_frame_rate: '10/1' })
    expect(Number(video.format.duration)).toBeCloseTo(0.3, 1)
    expect(readdirSync(tmp).filter((f) => f.endsWith('.partial'))).toEqual([])
  })

  it('refuses bad options and a missing ffmpeg with a coded error, and writes nothing', async () => {
    const out = path.join(tmp, 'bad.mp4')
    const bad = async (args: string[], code: number, message: RegExp) => {
      const run = await cli(['render', serverTrace, ...args])
      expect(run.code).toBe(code)
      expect(run.stderr.join('\n')).toMatch(message)
    }
    await bad(['-o', out, '--size', '1281x720'], 2, /--size must be WIDTHxHEIGHT with even sides .*\(BAD_OPTION\)/)
    await bad(['-o', out, '--fps', '0'], 2, /--fps must be an integer from 1 to 60, not '0' \(BAD_OPTION\)/)
    await bad(['-o', out, '--from', '5', '--to', '2'], 2, /--to \(2 s\) must be after --from \(5 s\) \(BAD_OPTION\)/)
    await bad(['-o', path.join(tmp, 'bad.avi')], 2, /extension says its format.*\(BAD_OPTION\)/)
    // PATH without ffmpeg: only node's own folder.
    const noFfmpeg = runCli(['render', serverTrace, '-o', out], { env: { ...process.env, PATH: path.dirname(process.execPath) } })
    expect((await noFfmpeg.exited).code).toBe(1)
    expect(noFfmpeg.stderr.join('\n')).toMatch(/ffmpeg is not installed .*apt-get install ffmpeg.*\(ENCODER_MISSING\)/)
    expect(existsSync(out)).toBe(false)
  })
})
