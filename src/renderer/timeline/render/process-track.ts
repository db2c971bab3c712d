import type { Lane } from '../layout.ts'
import { formatDuration } from '../time-scale.ts'
import { phaseName } from '../../model/describe.ts'
import { phaseLabel } from './connection-track.ts'
import { barText, drawPhases, firstAtOrAfter, glyph, lowerBound, type RenderContext, timesOf } from './context.ts'

/**
 * A process or thread: its life as a thin bar (starting, running, sleeping, zombie), with
 * fork, exit and reap marks; on the server's lane, each fork and reap of its children.
 */
export function renderProcessLane(rc: RenderContext, lane: Lane, top: number): void {
  const { ctx, scale, palette } = rc
  const phases = lane.proc?.phases ?? lane.thread?.phases ?? []
  const marks = lane.proc?.marks ?? lane.thread?.marks ?? []
  const barHeight = lane.kind === 'server' || lane.kind === 'clients' ? 10 : 8
  const barTop = top + Math.round((lane.height - barHeight) / 2)
  const mid = barTop + barHeight / 2
  const run = lane.run

  ctx.font = rc.font
  drawPhases(rc, phases, run, barTop, barHeight, (phase, span) => {
    if (phase.kind === 'zombie') {
      const end = phase.end ?? Math.max(phase.start, rc.liveEnd(run))
      barText(rc, `zombie ${formatDuration(end - phase.start)}`, span[0], span[1], mid, palette.text, 8)
    } else if (lane.kind !== 'server' && lane.kind !== 'clients' && phase.kind === 'starting' && span[1] - span[0] > 90) {
      barText(rc, phaseLabel(phase), span[0], span[1], mid, '#0b0e14')
    }
  })

  const from = lowerBound(marks, scale.start - 1)
  // Zoomed out, a server's thousands of accepts share pixels: one glyph per pixel and kind.
  let lastX = Number.NaN
  let lastKind = ''
  // Accepts in neighbouring pixels are one rect (a burst of them, zoomed out, is a band).
  let acceptFrom = Number.NaN
  let acceptTo = Number.NaN
  const flushAccepts = () => {
    if (Number.isNaN(acceptFrom)) return
    ctx.fillStyle = palette.mark
    ctx.fillRect(acceptFrom - 0.5, barTop - 2, acceptTo - acceptFrom + 1, barHeight + 4)
    acceptFrom = Number.NaN
  }
  for (let i = from; i < marks.length; i++) {
    const mark = marks[i]!
    if (mark.t > scale.end) break
    const x = Math.round(scale.toX(mark.t)) + 0.5
    if (x < rc.geometry.labelWidth) continue
    if (x === lastX && mark.kind === lastKind) continue
    lastX = x
    lastKind = mark.kind
    switch (mark.kind) {
      case 'fork':
        glyph(ctx, 'triangle-down', x, barTop - 1, 3.4, palette.fork)
        break
      case 'exit':
        glyph(ctx, 'cross', x, mid, 3.2, palette.mark)
        break
      case 'reap':
        glyph(ctx, 'diamond', x, mid, 4, palette.reap)
        break
      case 'accept':
        if (x === acceptTo + 1) acceptTo = x
        else {
          flushAccepts()
          acceptFrom = acceptTo = x
        }
        break
      case 'listen':
        glyph(ctx, 'circle', x, mid, 3, palette.mark)
        break
      case 'error':
        glyph(ctx, 'triangle-up', x, mid, 3.4, palette.error)
        break
      case 'thread-start':
      case 'thread-end':
        ctx.fillStyle = palette.spawn
        ctx.fillRect(x - 0.75, barTop - 2, 1.5, barHeight + 4)
        break
    }
  }
  flushAccepts()
}

/** Geometry inside a loop lane: wake-up ticks above, the thread's state as a bar below. */
export const LOOP_BAR = { top: 19, height: 14, ticks: 3 }

/**
 * An event loop: one tick per wake-up, its height the size of the ready set, above a bar
 * of what its one thread does: waiting in select(), running, or stuck in a blocking call
 * (labelled with the connection it is for).
 */
export function renderLoopLane(rc: RenderContext, lane: Lane, top: number): void {
  const loop = lane.loop
  if (!loop) return
  const { ctx, scale, palette } = rc
  const barTop = top + LOOP_BAR.top
  const mid = barTop + LOOP_BAR.height / 2
  ctx.font = rc.font
  drawPhases(rc, loop.phases, lane.run, barTop, LOOP_BAR.height, (phase, span) => {
    // Only a bar with room for a word gets its label (building it costs more than the bar).
    if (span[1] - span[0] < 30) return
    const end = phase.end ?? Math.max(phase.start, rc.liveEnd(lane.run))
    // `select · 3 sockets` is cut as `select` or kept whole, never as `select · 3`.
    const name = phaseName(phase, { kind: 'loop' }, rc.connLabel).replace(/ · (\d+) (sockets?)$/, ' ·\u00a0$1\u00a0$2')
    // The idle wait's indigo is dark in both themes: white reads on it.
    const ink = phase.on === 'select' ? '#ffffff' : '#0b0e14'
    barText(rc, `${name} ${formatDuration(end - phase.start)}`, span[0], span[1], mid, ink, 6)
  })
  const base = barTop - 2
  const room = base - (top + LOOP_BAR.ticks)
  const wakeups = loop.wakeups
  const max = Math.max(1, loop.maxReady)
  ctx.fillStyle = palette.wakeup
  // One tick per pixel column, as tall as its largest ready set: zoomed out, a loop's 100k
  // wake-ups are at most one rect a pixel.
  let columnPx = Number.NaN
  let columnH = 0
  // Neighbouring columns of one height are one rect (each tick is 2 px wide, from x - 1).
  let runFrom = Number.NaN
  let runTo = Number.NaN
  let runH = 0
  const flush = () => {
    if (Number.isNaN(columnPx)) return
    if (columnH === runH && columnPx === runTo + 1) runTo = columnPx
    else {
      if (!Number.isNaN(runFrom)) ctx.fillRect(runFrom - 1, base - runH, runTo - runFrom + 2, runH)
      runFrom = runTo = columnPx
      runH = columnH
    }
  }
  const times = timesOf(wakeups)
  let i = firstAtOrAfter(times, scale.start - 1)
  while (i < wakeups.length) {
    const w = wakeups[i]!
    if (w.t > scale.end) break
    const x = Math.round(scale.toX(w.t))
    if (x < rc.geometry.labelWidth) {
      i++
      continue
    }
    const h = 3 + (room - 3) * ((w.readable + w.writable) / max)
    if (x !== columnPx) {
      flush()
      columnPx = x
      columnH = h
    } else columnH = Math.max(columnH, h)
    // A column at full height cannot grow: go on from the next column.
    i = columnH >= room ? Math.max(i + 1, firstAtOrAfter(times, scale.toT(x + 0.5), i)) : i + 1
  }
  flush()
  if (!Number.isNaN(runFrom)) ctx.fillRect(runFrom - 1, base - runH, runTo - runFrom + 2, runH)
}

/** A group's header: its title, its state, a caret for collapsing. */
export function renderGroupLane(rc: RenderContext, lane: Lane, top: number): void {
  const { ctx, palette, geometry } = rc
  ctx.fillStyle = palette.groupBg
  ctx.fillRect(0, top, geometry.width, lane.height)
  ctx.fillStyle = palette.gridStrong
  ctx.fillRect(0, top, geometry.width, 1)
  const mid = top + lane.height / 2
  ctx.fillStyle = palette.textMuted
  ctx.beginPath()
  if (lane.collapsed) {
    ctx.moveTo(10, mid - 4)
    ctx.lineTo(15, mid)
    ctx.lineTo(10, mid + 4)
  } else {
    ctx.moveTo(8, mid - 2.5)
    ctx.lineTo(16, mid - 2.5)
    ctx.lineTo(12, mid + 2.5)
  }
  ctx.fill()
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.font = `600 ${rc.font}`
  ctx.fillStyle = palette.text
  ctx.fillText(lane.label, 24, mid + 0.5)
  const w = ctx.measureText(lane.label).width
  ctx.font = rc.font
  ctx.fillStyle = palette.textMuted
  ctx.fillText(lane.sublabel, 24 + w + 14, mid + 0.5)
}
