import type { Phase } from '../../model/derive.ts'
import type { Lane } from '../layout.ts'
import { formatDuration } from '../time-scale.ts'
import { barText, drawPhase, glyph, lowerBound, type RenderContext, tickHeight } from './context.ts'

/** Bar geometry inside a connection lane: server marks above the bar, client marks below. */
export const CONN_BAR = { top: 8, height: 14 }

export function phaseLabel(phase: Phase): string {
  switch (phase.kind) {
    case 'queued':
      return 'accept queue'
    case 'spawn':
      return 'starting'
    case 'blocked':
    case 'sleeping':
      return phase.on ?? 'blocked'
    case 'working':
    case 'running':
      return 'running'
    case 'starting':
      return 'starting'
    case 'zombie':
      return 'zombie'
    case 'connected':
      return 'connected'
    case 'alive':
      return 'alive'
    default:
      return phase.kind
  }
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
    const dark = phase.kind === 'queued' ? palette.text : '#0b0e14'
    barText(rc, `${phaseLabel(phase)} ${formatDuration(end - phase.start)}`, span[0], span[1], mid, dark, 6)
  }

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
      case 'close':
        glyph(ctx, 'square', x, server ? barTop - 3.5 : barBottom + 4, 2.4, palette.mark)
        break
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
