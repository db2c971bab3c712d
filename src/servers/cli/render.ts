import path from 'node:path'
import { Command, Option } from 'commander'
import { SockscopeError } from '../errors.ts'
import { MAX_FPS, MAX_SPEED, MIN_SPEED, parseSize, THEMES, type Theme, videoFormatOf } from '../render/plan.ts'
import { renderPicture, renderVideo } from '../render/render.ts'
import { argumentBase } from '../web/recordings.ts'
import { fail, ignoreClosedOutput, numberOption } from './common.ts'

interface RenderOpts {
  output?: string
  png?: string
  at?: number
  size: string
  fps: number
  speed: number
  from?: number
  to?: number
  theme: Theme
  captions?: boolean
  quiet?: boolean
}

const clock = (s: number) => {
  const whole = Math.max(0, Math.round(s))
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal, a plain line at every tenth
 * otherwise (a log file, CI), nothing with --quiet.
 */
export function progressReporter(stream: NodeJS.WriteStream, quiet: boolean) {
  // Counted from the first frame: opening the files is not drawing speed.
  let started = 0
  let lastTenth = -1
  let lastDraw = 0
  const tty = Boolean(stream.isTTY)
  return {
    update(done: number, total: number): void {
      if (quiet) return
      if (done === 1) started = performance.now()
      const elapsed = (performance.now() - started) / 1000
      const rate = (done - 1) / Math.max(elapsed, 1e-3)
      const eta = rate > 0 ? (total - done) / rate : NaN
      if (tty) {
        const now = performance.now()
        if (done < total && now - lastDraw < 100) return
        lastDraw = now
        const width = 28
        const filled = Math.round((done / total) * width)
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor((done / total) * 100)).padStart(3)}%  ${done}/${total} frames  ${rate.toFixed(1)} frames/s  ETA ${Number.isNaN(eta) ? '–' : clock(eta)} `)
        if (done === total) stream.write('\n')
        return
      }
      const tenth = Math.floor((done / total) * 10)
      if (tenth === lastTenth && done < total) return
      lastTenth = tenth
      stream.write(`sockscope: rendered ${done}/${total} frames (${Math.floor((done / total) * 100)}%), ${rate.toFixed(1)} frames/s, ETA ${Number.isNaN(eta) ? '–' : clock(eta)}\n`)
    },
  }
}

export function renderCommand(): Command {
  return new Command('render')
    .description('render recorded traces to a video (.mp4, .webm, .gif) frame by frame, or to a PNG picture, with the app\'s own renderer')
    .argument('<file...>', "trace files to render (a server's and a client's trace of one run are merged on one time axis)")
    .option('-o, --output <file>', 'the video to write; its extension says the format: .mp4 (H.264), .webm (VP9), .gif')
    .option('--png <file>', 'write one picture of the view instead, at 2× pixel ratio (for slides and READMEs)')
    .option('--at <seconds>', "with --png: the instant shown, in seconds since the recording's first event (default: its last)", numberOption('--at'))
    .option('--size <WxH>', 'frame size in CSS pixels (1920x1080, 1280x720…)', '1280x720')
    .option('--fps <n>', 'frames per second of the video', numberOption('--fps', { integer: true, min: 1, max: MAX_FPS }), 30)
    .option('--speed <x>', 'replay speed: 0.5 is slow motion (the video lasts twice the range)', numberOption('--speed', { min: MIN_SPEED, max: MAX_SPEED }), 1)
    .option('--from <seconds>', "start of the range, in seconds since the recording's first event, as the app's time readout shows them (default: its first event)", numberOption('--from'))
    .option('--to <seconds>', "end of the range, in seconds since the recording's first event, as the app's time readout shows them (default: its last event)", numberOption('--to'))
    .addOption(new Option('--theme <name>', 'colours').choices(THEMES).default('dark'))
    .option('--captions', 'the presenter view: timeline and process table under a title card, with a caption that narrates the playhead (held for --speed)')
    .option('--no-captions', 'the app as it opens, without the presenter view (the default)')
    .option('-q, --quiet', 'print no progress')
    .addHelpText(
      'after',
      `
Each frame is drawn at its own instant of the replay (frame i shows from + i / fps × speed),
not captured in real time: a 10 s range at 30 fps is 300 complete frames however busy the
machine is. Needs a headless Chromium (apt-get install chromium, or SOCKSCOPE_CHROMIUM=…)
and, for videos, ffmpeg (apt-get install ffmpeg).

Examples:
  sockscope serve --model fork --delay 1 --port 50007 --trace server.ndjson
  sockscope clients --port 50007 --count 3 --trace clients.ndjson
  sockscope render server.ndjson clients.ndjson -o fork.mp4 --size 1280x720 --fps 30 --speed 0.5 --from 1 --to 8 --captions
  sockscope render server.ndjson clients.ndjson -o fork.gif --size 960x540 --fps 10
  sockscope render server.ndjson clients.ndjson --png fork.png --at 3.2`,
    )
    .action(async (files: string[], opts: RenderOpts) => {
      ignoreClosedOutput()
      const controller = new AbortController()
      const stop = () => controller.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      try {
        const base = argumentBase()
        const absolute = files.map((f) => path.resolve(base, f))
        const size = parseSize(opts.size)
        if (opts.png && opts.output) throw new SockscopeError('BAD_OPTION', 'give -o FILE for a video or --png FILE for a picture, not both')
        if (!opts.png && !opts.output) throw new SockscopeError('BAD_OPTION', '-o FILE (a video: .mp4, .webm, .gif) or --png FILE (a picture) is required')
        if (opts.png) {
          if (opts.from !== undefined || opts.to !== undefined) throw new SockscopeError('BAD_OPTION', '--png shows one instant: give --at, not --from / --to')
          const shot = await renderPicture({ files: absolute, size, theme: opts.theme, captions: Boolean(opts.captions), out: path.resolve(base, opts.png), at: opts.at })
          console.log(`wrote ${opts.png}: ${shot.width}×${shot.height} px at ${((shot.atUs - shot.startUs) / 1e6).toFixed(3)} s`)
          return
        }
        if (opts.at !== undefined) throw new SockscopeError('BAD_OPTION', '--at is for --png; a video takes --from and --to')
        const out = path.resolve(base, opts.output!)
        const format = videoFormatOf(out)
        const progress = progressReporter(process.stderr, Boolean(opts.quiet))
        const result = await renderVideo({
          files: absolute,
          size,
          theme: opts.theme,
          captions: Boolean(opts.captions),
          out,
          format,
          fps: opts.fps,
          speed: opts.speed,
          from: opts.from,
          to: opts.to,
          signal: controller.signal,
          onProgress: progress.update,
        })
        const { plan } = result
        console.log(
          `wrote ${opts.output}: ${plan.frames} frames, ${size.width}×${size.height} at ${plan.fps} fps, ${plan.durationS.toFixed(2)} s ` +
            `(${((plan.fromUs - result.startUs) / 1e6).toFixed(3)}–${((plan.toUs - result.startUs) / 1e6).toFixed(3)} s at ${plan.speed}×), in ${(result.elapsedMs / 1000).toFixed(1)} s`,
        )
      } catch (err) {
        if (controller.signal.aborted) {
          console.error('sockscope: render stopped; nothing written')
          process.exit(130)
        }
        fail(err)
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
    })
}
