import { SockscopeError } from '../errors.ts'

/**
 * What a render is asked for, checked in one place for the CLI, the web host and the app:
 * the output's kind (by its extension), the frame size, the frame rate, the replay speed and
 * the range of the recording. Pure: the frame times are a function of these alone, so that
 * a 10 s range at 30 fps is 300 frames whatever the machine's speed. No Node imports: the
 * app's Export video… dialog checks its fields with these very functions.
 */

export const VIDEO_FORMATS = ['mp4', 'webm', 'gif'] as const
export type VideoFormat = (typeof VIDEO_FORMATS)[number]
export const THEMES = ['dark', 'light'] as const
export type Theme = (typeof THEMES)[number]

/** The sizes the app offers; the CLI takes any even WIDTHxHEIGHT within the bounds. */
export const SIZE_PRESETS = ['1920x1080', '1280x720'] as const
export const FPS_PRESETS = [30, 60] as const
export const MIN_SIDE = 320
export const MAX_SIDE = 3840
export const MAX_FPS = 60
export const MIN_SPEED = 0.01
export const MAX_SPEED = 100
/** A cap on frames in one video (10 minutes at 60 fps): a slip of --speed must not start a day-long render. */
export const MAX_FRAMES = 36_000

export interface Size {
  width: number
  height: number
}

export function videoFormatOf(file: string): VideoFormat {
  const ext = /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase() ?? ''
  if ((VIDEO_FORMATS as readonly string[]).includes(ext)) return ext as VideoFormat
  throw new SockscopeError('BAD_OPTION', `-o ${file}: the output's extension says its format, one of ${VIDEO_FORMATS.map((f) => `.${f}`).join(', ')} (or --png FILE for a picture)`)
}

/** `1280x720` → { width, height }: even sides (H.264 in yuv420p halves the colour planes) from MIN_SIDE to MAX_SIDE. */
export function parseSize(text: string): Size {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text)
  const width = m ? Number(m[1]) : NaN
  const height = m ? Number(m[2]) : NaN
  const ok = (n: number) => Number.isInteger(n) && n >= MIN_SIDE && n <= MAX_SIDE && n % 2 === 0
  if (!ok(width) || !ok(height))
    throw new SockscopeError('BAD_OPTION', `--size must be WIDTHxHEIGHT with even sides from ${MIN_SIDE} to ${MAX_SIDE} (1920x1080, 1280x720…), not '${text}'`)
  return { width, height }
}

/** Seconds since the recording's first event, as the app's time readout and axis show them. */
export interface RangeAsk {
  /** Undefined: the first event. */
  from?: number
  /** Undefined: the last event. */
  to?: number
}

export interface FramePlan {
  fps: number
  speed: number
  /** The range rendered, µs in store time (since the recording's zero, as playheads are). */
  fromUs: number
  toUs: number
  frames: number
  /** The video's duration: frames / fps (s). */
  durationS: number
}

/**
 * The frames of a render: frame i shows the playhead at from + i / fps × speed, for as many
 * frames as (to − from) / speed lasts at fps (rounded to a whole frame, at least one).
 * `recording` is the span the recording covers (µs, store time: its first and last event);
 * the range is asked in seconds from its first event and must start inside it.
 */
export function planFrames(ask: RangeAsk & { fps: number; speed: number }, recording: { start: number; end: number }): FramePlan {
  const { fps, speed } = ask
  if (!Number.isInteger(fps) || fps < 1 || fps > MAX_FPS) throw new SockscopeError('BAD_OPTION', `--fps must be an integer from 1 to ${MAX_FPS}, not '${fps}'`)
  if (!Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED) throw new SockscopeError('BAD_OPTION', `--speed must be a number from ${MIN_SPEED} to ${MAX_SPEED}, not '${speed}'`)
  const seconds = (us: number) => `${(us / 1e6).toFixed(3).replace(/\.?0+$/, '')} s`
  const from = ask.from ?? 0
  const to = ask.to ?? (recording.end - recording.start) / 1e6
  if (!Number.isFinite(from) || !Number.isFinite(to) || from < 0) throw new SockscopeError('BAD_OPTION', `--from and --to must be seconds since the recording's first event, not '${ask.from}' and '${ask.to}'`)
  if (to <= from) throw new SockscopeError('BAD_OPTION', `--to (${seconds(to * 1e6)}) must be after --from (${seconds(from * 1e6)})`)
  const fromUs = recording.start + from * 1e6
  const toUs = recording.start + to * 1e6
  if (fromUs >= recording.end) throw new SockscopeError('BAD_OPTION', `--from ${seconds(from * 1e6)} is past the recording's end (${seconds(recording.end - recording.start)})`)
  const frames = Math.max(1, Math.round(((toUs - fromUs) / 1e6 / speed) * fps))
  if (frames > MAX_FRAMES)
    throw new SockscopeError('LIMIT_REACHED', `${frames} frames (${seconds(toUs - fromUs)} at ${speed}× and ${fps} fps) is more than the ${MAX_FRAMES} one render makes; shorten the range or raise --speed`)
  return { fps, speed, fromUs, toUs, frames, durationS: frames / fps }
}

/** Where frame `i` of `plan` puts the playhead (µs). */
export function frameTime(plan: FramePlan, i: number): number {
  return plan.fromUs + (i / plan.fps) * plan.speed * 1e6
}
