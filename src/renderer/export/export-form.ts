import type { PictureAsk, VideoAsk } from '../../servers/render/export-ask.ts'
import { type FramePlan, parseSize, planFrames, SIZE_PRESETS, type Theme, type VideoFormat } from '../../servers/render/plan.ts'

/**
 * Export video…'s fields and what they ask for: pure, so that the dialog is markup and
 * these are tested directly. The range is in seconds since the recording's first event,
 * as the time readout and `sockscope render --from --to` count it; the checks are
 * `sockscope render`'s own (render/plan.ts), so the dialog refuses what the CLI would.
 */

export type SizePreset = (typeof SIZE_PRESETS)[number]

export interface VideoForm {
  from: number
  to: number
  speed: number
  size: SizePreset
  fps: 30 | 60
  captions: boolean
  theme: Theme
  format: VideoFormat
}

/** The recording as the page holds it: its first and last event (µs, store time), and the loop if one is set. */
export interface Span {
  start: number
  end: number
  loop: { from: number; to: number } | null
}

const round3 = (s: number) => Math.round(s * 1000) / 1000

/** The whole recording, or the loop range when one is set; 1280×720 at 30 fps, the replay's speed, captions as the presenter view is. */
export function defaultVideoForm(span: Span, now: { speed: number; captions: boolean; theme: Theme }): VideoForm {
  const range = span.loop ?? { from: span.start, to: span.end }
  return {
    from: round3(Math.max(0, (range.from - span.start) / 1e6)),
    to: round3(Math.max(0, (range.to - span.start) / 1e6)),
    speed: now.speed,
    size: '1280x720',
    fps: 30,
    captions: now.captions,
    theme: now.theme,
    format: 'mp4',
  }
}

export type FormCheck = { ok: true; ask: VideoAsk; plan: FramePlan } | { ok: false; message: string }

/** The ask the form makes, and its frame plan; or why it cannot be rendered (the CLI's words, with the dialog's field names). */
export function checkVideoForm(form: VideoForm, span: Span): FormCheck {
  try {
    const size = parseSize(form.size)
    const plan = planFrames({ from: form.from, to: form.to, fps: form.fps, speed: form.speed }, span)
    const ask: VideoAsk = { kind: 'video', format: form.format, ...size, fps: form.fps, speed: form.speed, from: form.from, to: form.to, captions: form.captions, theme: form.theme }
    return { ok: true, ask, plan }
  } catch (err) {
    return { ok: false, message: (err as Error).message.replace(/--(from|to|fps|speed|size)\b/g, (_, f: string) => FIELD_NAMES[f] ?? f) }
  }
}

const FIELD_NAMES: Record<string, string> = { from: 'From', to: 'To', fps: 'Frame rate', speed: 'Speed', size: 'Size' }

/** Export PNG: the view as the page shows it now (its size, the playhead, the timeline's window), at 2 device pixels per pixel. */
export function pictureAsk(page: { width: number; height: number }, span: Span, at: number, view: { start: number; end: number }, now: { captions: boolean; theme: Theme }): PictureAsk {
  return {
    kind: 'png',
    width: Math.round(page.width),
    height: Math.round(page.height),
    scale: 2,
    at: Math.max(0, (at - span.start) / 1e6),
    view,
    captions: now.captions,
    theme: now.theme,
  }
}

/** Seconds left, from frames done so far and the time since the first was drawn; null before there is a rate. */
export function etaSeconds(done: number, total: number, sinceFirstMs: number): number | null {
  if (done < 2 || sinceFirstMs <= 0) return null
  const rate = (done - 1) / (sinceFirstMs / 1000)
  return (total - done) / rate
}

/** `0:07`, `1:02:03`. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = String(whole % 60).padStart(2, '0')
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}
