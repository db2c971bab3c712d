import type { ConnectionTrack, Phase } from '../../model/derive.ts'
import { phaseName } from '../../model/describe.ts'
import type { Lane } from '../layout.ts'
import { formatDuration } from '../time-scale.ts'
import { barText, drawPhase, glyph, lowerBound, type RenderContext, tickHeight } from './context.ts'

/** Bar geometry inside a connection lane: server marks above the bar, client marks below. */
export const CONN_BAR = { top: 8, height: 14 }

/** A connection's phase in a word or two (`await sleep`, `ready`, `recv`), as its bar says it. */
export function phaseLabel(phase: Phase, track?: Pick<ConnectionTrack, 'task'>): string {
  return phaseName(phase, { kind: 'conn', task: track?.task ?? null })
}

/**
 * One connection: its phases as a bar (queue → starting → running / blocked), server-side
 * recv/send ticks above it, client-side ones below it, accept and close marks.
 */
export function renderConnectionLane(rc: RenderContext, lane: Lane, top: number): void {
  const track = lane.conn
  if (!track) return
  const { ctx, scale, palette } = rc
  const barTop = top + CONN_BAR.top
  const barBottom = barTop + CONN_BAR.height
  const mid = barTop + CONN_BAR.height / 2
  const run = track.serverRun ?? track.clientRun

  ctx.font = rc.font
  for (const phase of track.phases) {
    const span = drawPhase(rc, phase, run, barTop, CONN_BAR.height)
    if (!span) continue
    const end = phase.end ?? Math.max(phase.start, rc.liveEnd(run))
    const dark = phase.kind === 'queued' || phase.kind === 'ready' ? palette.text : '#0b0e14'
    barText(rc, `${phaseLabel(phase, track)} ${formatDuration(end - phase.start)}`, span[0], span[1], mid, dark, 6)
  }

  drawResetLabel(rc, track, mid)

  const from = lowerBound(track.marks, scale.start - 1)
  for (let i = from; i < track.marks.length; i++) {
    const mark = track.marks[i]!
    if (mark.t > scale.end) break
    const x = Math.round(scale.toX(mark.t)) + 0.5
    if (x < rc.geometry.labelWidth) continue
    const server = mark.side === 'server'
    switch (mark.kind) {
      case 'recv':
      case 'send': {
        const h = tickHeight(mark.bytes, 7)
        ctx.fillStyle = mark.kind === 'send' ? palette.send : palette.recv
        if (server) ctx.fillRect(x - 1, barTop - h - 0.5, 2, h)
        else ctx.fillRect(x - 1, barBottom + 0.5, 2, h)
        break
      }
      case 'accept':
        ctx.fillStyle = palette.mark
        ctx.fillRect(x - 0.75, barTop - 3, 1.5, CONN_BAR.height + 6)
        glyph(ctx, 'triangle-right', x + 3, barTop - 3, 3, palette.mark)
        break
      case 'connect':
        glyph(ctx, 'circle', x, barBottom + 4, 2.6, palette.mark)
        break
      case 'close': {
        const y = server ? barTop - 3.5 : barBottom + 4
        // A reset, on the side that sent it and on the side that saw it: a cross.
        if ((server ? track.serverClose : track.clientClose)?.reset) glyph(ctx, 'cross', x, y, 2.8, palette.error)
        else glyph(ctx, 'square', x, y, 2.4, palette.mark)
        break
      }
      case 'fork':
        glyph(ctx, 'triangle-down', x, barTop - 4, 3.2, palette.fork)
        break
      case 'error':
        glyph(ctx, 'triangle-up', x, server ? barTop - 4 : barBottom + 4, 3.4, palette.error)
        break
      case 'thread-start':
      case 'thread-end':
        ctx.fillStyle = palette.spawn
        ctx.fillRect(x - 0.5, barTop - 4, 1, 4)
        break
      default:
        ctx.fillStyle = palette.textMuted
        ctx.fillRect(x - 0.5, barTop - 3, 1, 3)
    }
  }
}

/** Who reset the connection (RST), as either side's close tells it; null for an ordinary end. */
export function resetBy(track: Pick<ConnectionTrack, 'serverClose' | 'clientClose'>): 'client' | 'server' | null {
  if (track.clientClose?.reset === 'sent' || track.serverClose?.reset === 'received') return 'client'
  if (track.serverClose?.reset === 'sent' || track.clientClose?.reset === 'received') return 'server'
  return null
}

/** `RST by client` on the bar's line, just after the connection's last close. */
function drawResetLabel(rc: RenderContext, track: ConnectionTrack, mid: number): void {
  const by = resetBy(track)
  if (!by) return
  const t = Math.max(track.serverClose?.t ?? -Infinity, track.clientClose?.t ?? -Infinity)
  if (t < rc.scale.start || t > rc.scale.end) return
  const x = rc.scale.toX(t) + 6
  if (x < rc.geometry.labelWidth) return
  const { ctx } = rc
  ctx.font = `600 ${rc.font}`
  ctx.fillStyle = rc.palette.error
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.fillText(`RST by ${by}`, x, mid + 0.5)
  ctx.font = rc.font
}
