import { z } from 'zod'
import { SockscopeError } from '../errors.ts'
import { MAX_SIDE, MIN_SIDE, type Size, THEMES, VIDEO_FORMATS } from './plan.ts'

/**
 * What the app's Export video… and Export PNG ask the host to render: the same choices as
 * `sockscope render`'s options, as one message. Checked on the side that receives it (the
 * web host's export route, Electron's main), then handed to the same renderVideo and
 * renderPicture the CLI calls. Runtime-neutral (zod only): the dialog builds it.
 */

const side = z.number().int()

export const VideoAskSchema = z.object({
  kind: z.literal('video'),
  format: z.enum(VIDEO_FORMATS),
  width: side,
  height: side,
  fps: z.number().int(),
  speed: z.number(),
  /** Seconds since the recording's first event, as the app's time readout shows them. */
  from: z.number(),
  to: z.number(),
  captions: z.boolean(),
  theme: z.enum(THEMES),
})

export const PictureAskSchema = z.object({
  kind: z.literal('png'),
  /** The page's own size (CSS pixels): the picture is the view as the person sees it, at `scale` device pixels each. */
  width: side,
  height: side,
  scale: z.number().int().min(1).max(3).default(2),
  /** Seconds since the recording's first event: the playhead. */
  at: z.number(),
  /** The timeline's window (µs, store time), as the person left it. */
  view: z.object({ start: z.number(), end: z.number() }).optional(),
  captions: z.boolean(),
  theme: z.enum(THEMES),
})

export const ExportAskSchema = z.discriminatedUnion('kind', [VideoAskSchema, PictureAskSchema])
export type VideoAsk = z.infer<typeof VideoAskSchema>
export type PictureAsk = z.infer<typeof PictureAskSchema>
export type ExportAsk = z.infer<typeof ExportAskSchema>
export type ExportAskInput = z.input<typeof ExportAskSchema>

/** An ask as it arrived (a header's JSON, an IPC argument), checked: BAD_OPTION saying which field is wrong. */
export function parseExportAsk(raw: unknown): ExportAsk {
  const parsed = ExportAskSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new SockscopeError('BAD_OPTION', `the export's ${issue.path.join('.') || 'ask'} is wrong: ${issue.message}`)
  }
  const ask = parsed.data
  // A video's sides must be even (H.264 in yuv420p); a picture is the window as it is.
  const ok = (n: number) => n >= MIN_SIDE && n <= MAX_SIDE && (ask.kind === 'png' || n % 2 === 0)
  if (!ok(ask.width) || !ok(ask.height))
    throw new SockscopeError('BAD_OPTION', `the size must be ${ask.kind === 'video' ? 'even sides' : 'sides'} from ${MIN_SIDE} to ${MAX_SIDE} px, not ${ask.width}×${ask.height}`)
  return ask
}

export function askSize(ask: ExportAsk): Size {
  return { width: ask.width, height: ask.height }
}

export const EXPORT_MIME: Record<VideoAsk['format'] | 'png', string> = {
  mp4: 'video/mp4',
  webm: 'video/webm',
  gif: 'image/gif',
  png: 'image/png',
}

/** The file's extension: the video's format, or png. */
export function exportExtension(ask: ExportAsk): keyof typeof EXPORT_MIME {
  return ask.kind === 'video' ? ask.format : 'png'
}

const seconds = (s: number) => s.toFixed(1).replace(/\.0$/, '')

/** `fork-server-0.3-1.5s.mp4`, `fork-server-at-0.8s.png`: the recording's name, then what of it. */
export function exportFileName(base: string, ask: ExportAsk): string {
  const stem = base.replace(/\.(ndjson|jsonl|json)$/i, '').replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'sockscope'
  const what = ask.kind === 'video' ? `${seconds(ask.from)}-${seconds(ask.to)}s` : `at-${seconds(ask.at)}s`
  return `${stem}-${what}.${exportExtension(ask)}`
}
