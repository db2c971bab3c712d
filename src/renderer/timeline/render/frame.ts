import { blockedAt } from '../../model/replay.ts'
import type { Lane, Layout } from '../layout.ts'
import { visibleLanes } from '../layout.ts'
import { axisTicks } from '../time-scale.ts'
import { renderConnectionLane } from './connection-track.ts'
import { type RenderContext, screenY, withAlpha } from './context.ts'
import { renderGroupLane, renderLoopLane, renderProcessLane } from './process-track.ts'

/** An instant marked on the axis (see model/replay.ts): drawn as a tick, coloured by kind. */
export interface AxisMarker {
  t: number
  kind: string
}

export interface FrameExtras {
  /** The lab's now, drawn as a line while something runs. */
  now: number | null
  /** The replay's playhead when it is not pinned to now: a line with a handle on the axis, what comes after it veiled. */
  playhead?: number | null
  markers?: readonly AxisMarker[]
  /** Events picked elsewhere (the code panel's line): a ring at each, on its lane. */
  highlights?: readonly { t: number; laneKey: string }[]
  /** The pointer's time, drawn as a hairline. */
  hoverT: number | null
  hoverLane: string | null
}

/** A track's render function: draws one lane whose top is at screen y `top`. */
export type TrackRenderer = (rc: RenderContext, lane: Lane, top: number) => void

const TRACKS: Record<Lane['kind'], TrackRenderer> = {
  group: renderGroupLane,
  server: renderProcessLane,
  process: renderProcessLane,
  thread: renderProcessLane,
  clients: renderProcessLane,
  conn: renderConnectionLane,
  loop: renderLoopLane,
}

/**
 * One frame: lane backgrounds, the time grid, every visible lane through its track's
 * render function, the label column, the axis, the now line. Returns the lanes drawn.
 */
export function renderFrame(rc: RenderContext, layout: Layout, extras: FrameExtras): Lane[] {
  const { ctx, palette, geometry: g, scale } = rc
  ctx.fillStyle = palette.background
  ctx.fillRect(0, 0, g.width, g.height)

  const shown = visibleLanes(layout.lanes, g.scrollY, g.scrollY + g.height - g.axisHeight)
  const related = rc.selectedConn ? new Set(layout.related.get(rc.selectedConn) ?? []) : null

  // Lane backgrounds: alternate rows, the selection, the hovered lane.
  const stripes = altRows(layout)
  for (const lane of shown) {
    if (lane.kind === 'group') continue
    const top = screenY(g, lane.y)
    if (related?.has(lane.key)) {
      ctx.fillStyle = palette.selection
      ctx.fillRect(0, top, g.width, lane.height)
      ctx.fillStyle = palette.selectionEdge
      ctx.fillRect(0, top, 3, lane.height)
    } else if (stripes.has(lane)) {
      ctx.fillStyle = palette.laneAlt
      ctx.fillRect(0, top, g.width, lane.height)
    }
    if (extras.hoverLane === lane.key) {
      ctx.fillStyle = withAlpha(palette.selectionEdge, 0.06)
      ctx.fillRect(0, top, g.width, lane.height)
    }
  }

  // The time grid.
  const ticks = axisTicks(scale, rc.origin, 110)
  ctx.fillStyle = palette.grid
  for (const tick of ticks) if (tick.x >= g.labelWidth) ctx.fillRect(Math.round(tick.x), g.axisHeight, 1, g.height - g.axisHeight)

  // Lanes, clipped to below the axis.
  ctx.save()
  ctx.beginPath()
  ctx.rect(0, g.axisHeight, g.width, g.height - g.axisHeight)
  ctx.clip()
  for (const lane of shown) {
    const top = screenY(g, lane.y)
    const dim = related !== null && lane.kind !== 'group' && !related.has(lane.key)
    ctx.globalAlpha = dim ? 0.32 : 1
    TRACKS[lane.kind](rc, lane, top)
  }
  ctx.globalAlpha = 1
  if (extras.highlights?.length) drawHighlights(rc, shown, extras.highlights)
  ctx.restore()

  // The label column, over whatever reached under it.
  ctx.save()
  ctx.beginPath()
  ctx.rect(0, g.axisHeight, g.labelWidth, g.height - g.axisHeight)
  ctx.clip()
  for (const lane of shown) {
    if (lane.kind === 'group') continue
    const top = screenY(g, lane.y)
    const selected = related?.has(lane.key)
    ctx.fillStyle = selected ? palette.selection : palette.background
    ctx.fillRect(0, top, g.labelWidth, lane.height)
    if (selected) {
      ctx.fillStyle = palette.selectionEdge
      ctx.fillRect(0, top, 3, lane.height)
    }
    drawLabel(rc, lane, top, related !== null && !selected, extras.playhead ?? null)
  }
  ctx.restore()
  ctx.fillStyle = palette.gridStrong
  ctx.fillRect(g.labelWidth - 1, g.axisHeight, 1, g.height - g.axisHeight)

  // The axis.
  ctx.fillStyle = palette.groupBg
  ctx.fillRect(0, 0, g.width, g.axisHeight)
  ctx.fillStyle = palette.gridStrong
  ctx.fillRect(0, g.axisHeight - 1, g.width, 1)
  ctx.font = rc.font
  ctx.textBaseline = 'middle'
  for (const tick of ticks) {
    if (tick.x < g.labelWidth) continue
    const x = Math.round(tick.x)
    ctx.fillStyle = palette.gridStrong
    ctx.fillRect(x, g.axisHeight - 7, 1, 6)
    ctx.fillStyle = palette.textMuted
    ctx.textAlign = 'left'
    ctx.fillText(tick.label, x + 4, g.axisHeight / 2)
  }
  ctx.textAlign = 'left'
  ctx.fillStyle = palette.textMuted
  ctx.font = `600 ${rc.font}`
  ctx.fillText('time since first event', 12, g.axisHeight / 2)

  drawMarkers(rc, extras.markers ?? [])
  if (extras.playhead != null) drawPlayhead(rc, extras.playhead)

  if (extras.now !== null && scale.contains(extras.now)) {
    const x = Math.round(scale.toX(extras.now)) + 0.5
    if (x >= g.labelWidth) {
      ctx.fillStyle = palette.now
      ctx.fillRect(x - 0.5, g.axisHeight - 6, 1.5, g.height - g.axisHeight + 6)
    }
  }
  if (extras.hoverT !== null && scale.contains(extras.hoverT)) {
    const x = Math.round(scale.toX(extras.hoverT)) + 0.5
    if (x >= g.labelWidth) {
      ctx.fillStyle = withAlpha(palette.textMuted, 0.7)
      ctx.fillRect(x, g.axisHeight, 1, g.height - g.axisHeight)
    }
  }
  return shown
}

const altRowsOf = new WeakMap<Layout, ReadonlySet<Lane>>()

/** The lanes drawn with the alternate background: every second row of each group, found once per layout, not per frame. */
function altRows(layout: Layout): ReadonlySet<Lane> {
  let set = altRowsOf.get(layout)
  if (!set) {
    const alt = new Set<Lane>()
    let row = 0
    for (const lane of layout.lanes) {
      if (lane.kind === 'group') row = 0
      else if (++row % 2 === 0) alt.add(lane)
    }
    set = alt
    altRowsOf.set(layout, set)
  }
  return set
}

/** Marker ticks along the axis's foot; where many fall into one pixel, one tick stands for them. */
function drawMarkers(rc: RenderContext, markers: readonly AxisMarker[]): void {
  const { ctx, palette, geometry: g, scale } = rc
  let lastX = Number.NEGATIVE_INFINITY
  for (const m of markers) {
    if (!scale.contains(m.t)) continue
    const x = Math.round(scale.toX(m.t))
    if (x < g.labelWidth || x - lastX < 2) continue
    lastX = x
    ctx.fillStyle = markerColor(palette, m.kind)
    ctx.fillRect(x - 1, g.axisHeight - 5, 3, 4)
  }
}

function markerColor(palette: RenderContext['palette'], kind: string): string {
  switch (kind) {
    case 'fork':
      return palette.fork
    case 'exit':
    case 'zombie':
    case 'error':
      return palette.zombie
    case 'reap':
      return palette.reap
    case 'lock-wait':
      return palette.blocked.lock
    case 'user':
      return palette.playhead
    default:
      return palette.working
  }
}

/**
 * The playhead: what comes after it is veiled (it has not happened yet, at this instant),
 * and a line with a handle on the axis, which can be dragged.
 */
function drawPlayhead(rc: RenderContext, t: number): void {
  const { ctx, palette, geometry: g, scale } = rc
  const x = Math.round(scale.toX(t))
  const left = Math.max(g.labelWidth, x)
  if (left < g.width) {
    ctx.fillStyle = palette.future
    ctx.fillRect(left, g.axisHeight, g.width - left, g.height - g.axisHeight)
  }
  if (x < g.labelWidth || x > g.width) return
  ctx.fillStyle = palette.playhead
  ctx.fillRect(x - 1, g.axisHeight, 2, g.height - g.axisHeight)
  ctx.beginPath()
  ctx.moveTo(x - 6, 2)
  ctx.lineTo(x + 6, 2)
  ctx.lineTo(x + 6, g.axisHeight - 10)
  ctx.lineTo(x, g.axisHeight - 3)
  ctx.lineTo(x - 6, g.axisHeight - 10)
  ctx.closePath()
  ctx.fill()
}

function drawLabel(rc: RenderContext, lane: Lane, top: number, dim: boolean, at: number | null): void {
  const { ctx, palette } = rc
  const mid = top + lane.height / 2
  const indent = lane.kind === 'conn' ? 16 : lane.kind === 'server' || lane.kind === 'clients' || lane.kind === 'loop' ? 16 : 28
  ctx.globalAlpha = dim ? 0.45 : 1
  ctx.textBaseline = 'middle'
  ctx.textAlign = 'left'
  ctx.font = lane.kind === 'conn' ? `600 ${rc.font}` : rc.font
  ctx.fillStyle = lane.kind === 'conn' ? palette.text : palette.textMuted
  ctx.fillText(lane.label, indent, mid + 0.5)
  const w = ctx.measureText(lane.label).width
  ctx.font = rc.font
  ctx.fillStyle = palette.textMuted
  const sub = lane.sublabel
  const room = rc.geometry.labelWidth - indent - w - 16
  if (room > 20) {
    let shown = sub
    while (shown.length > 1 && ctx.measureText(shown).width > room) shown = shown.slice(0, -2) + '…'
    ctx.fillText(shown, indent + w + 8, mid + 0.5)
  }
  if (lane.kind === 'conn' && lane.conn) {
    // A state dot: what the connection is doing at the playhead.
    const c = lane.conn
    const closedT = Math.min(c.serverCloseT ?? Infinity, c.clientCloseT ?? Infinity)
    const blockedOn = at === null ? c.blockedOn : blockedAt(c.phases, at)
    const t = at ?? Infinity
    const color = Number.isFinite(closedT) && closedT <= t
      ? palette.textMuted
      : c.acceptT === null || c.acceptT > t
        ? palette.queued
        : blockedOn
          ? palette.blocked[blockedOn]
          : palette.working
    ctx.fillStyle = color
    ctx.beginPath()
    ctx.arc(rc.geometry.labelWidth - 14, mid, 4, 0, Math.PI * 2)
    ctx.fill()
  }
  ctx.globalAlpha = 1
}

/** A ring at each highlighted event on its lane (only lanes drawn, only instants in view). */
function drawHighlights(rc: RenderContext, shown: readonly Lane[], highlights: readonly { t: number; laneKey: string }[]): void {
  const { ctx, palette, geometry: g, scale } = rc
  const lanes = new Map(shown.map((l) => [l.key, l]))
  ctx.strokeStyle = palette.playhead
  ctx.lineWidth = 2
  for (const h of highlights) {
    const lane = lanes.get(h.laneKey)
    if (!lane || !scale.contains(h.t)) continue
    const x = scale.toX(h.t)
    if (x < g.labelWidth) continue
    const y = screenY(g, lane.y) + lane.height / 2
    ctx.beginPath()
    ctx.arc(x, y, Math.min(7, lane.height / 2 - 1), 0, Math.PI * 2)
    ctx.stroke()
  }
  ctx.lineWidth = 1
}
