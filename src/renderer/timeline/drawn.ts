import type { Layout } from './layout.ts'
import type { Viewport } from './viewport.ts'

/** A read-only description of what the canvas drew last: for tests, and nothing else. */
export interface DrawnLane {
  key: string
  kind: string
  label: string
  sublabel: string
  run: string | null
  conn: string | null
  index: number | null
  pid: number | null
  y: number
  height: number
  onScreen: boolean
  /** Drawn dimmed: a connection is selected (the spotlight), and this lane is not part of it. */
  dimmed: boolean
  /** `conn`: the connection a thread's blocking call is for; `task`: only the connection's task waits; `sockets`: select()'s. */
  phases: { kind: string; on: string | null; start: number; end: number | null; conn: string | null; task: boolean; sockets: number | null }[]
  marks: number
  acceptT: number | null
  serverCloseT: number | null
  clientCloseT: number | null
  /** How each side closed (connection lanes): by whom, and whether with a reset (sent or received). */
  closes: { side: 'server' | 'client'; by: string; reset: string | null }[]
}

export interface DrawnSnapshot {
  frames: number
  view: Viewport
  origin: number
  following: boolean
  /** The replay's playhead (µs, store time) when the frame was drawn, and whether it was pinned to the edge. */
  playhead: number
  playheadFollowing: boolean
  playing: boolean
  speed: number
  /** Markers on the axis (each first accept, fork, exit, zombie, reap, error, lock wait, the user's). */
  markers: number
  selectedConn: string | null
  /** The palette it drew with. */
  theme: string
  /** CSS pixels per pixel of the drawing (lane y and height are the drawing's): 1.2 in the presenter view. */
  drawScale: number
  /** The lane under the pointer (drawn with a hover line), if any. */
  hoverLane: string | null
  /** Events ringed for the code panel's picked line. */
  highlights?: number
  lanes: DrawnLane[]
}

/** What one frame was drawn from (the snapshot's own fields); `top` and `bottom` bound the lanes on screen. */
export interface FrameInfo extends Omit<DrawnSnapshot, 'frames' | 'lanes'> {
  top: number
  bottom: number
}

let frames = 0
let drawnAt = 0
let last: (FrameInfo & { layout: Layout }) | null = null

/** Called by the canvas after each frame it draws. */
export function recordFrame(layout: Layout, frame: FrameInfo): void {
  frames++
  drawnAt = performance.now()
  last = { layout, ...frame }
}

/**
 * A cheap look at the last frame (the snapshot copies every phase of every lane, too much
 * to poll under load): how many frames, when the last was drawn (performance.now()), its
 * selection and view, and where the connection lanes on screen are.
 */
export interface FrameProbe {
  frames: number
  drawnAt: number
  selectedConn: string | null
  following: boolean
  view: Viewport
  connLanes: { conn: string; y: number; height: number }[]
}

/** How many frames the canvas drew, and the playhead of the last (null before the first): what a frame-by-frame render waits on. */
export function lastFrame(): { frames: number; playhead: number | null } {
  return { frames, playhead: last?.playhead ?? null }
}

export function drawnProbe(): FrameProbe | null {
  if (!last) return null
  const { top, bottom } = last
  const connLanes: FrameProbe['connLanes'] = []
  for (const lane of last.layout.lanes)
    if (lane.connKey && lane.kind === 'conn' && lane.y + lane.height > top && lane.y < bottom) connLanes.push({ conn: lane.connKey, y: lane.y - top, height: lane.height })
  return { frames, drawnAt, selectedConn: last.selectedConn, following: last.following, view: { ...last.view }, connLanes }
}

export function drawnSnapshot(): DrawnSnapshot | null {
  if (!last) return null
  const { layout, top, bottom } = last
  const related = last.selectedConn ? new Set(layout.related.get(last.selectedConn) ?? []) : null
  return {
    frames,
    view: { ...last.view },
    origin: last.origin,
    following: last.following,
    playhead: last.playhead,
    playheadFollowing: last.playheadFollowing,
    playing: last.playing,
    speed: last.speed,
    markers: last.markers,
    selectedConn: last.selectedConn,
    theme: last.theme,
    drawScale: last.drawScale,
    hoverLane: last.hoverLane,
    highlights: last.highlights ?? 0,
    lanes: layout.lanes.map((lane) => {
      const phases = lane.conn?.phases ?? lane.proc?.phases ?? lane.thread?.phases ?? lane.loop?.phases ?? []
      const closes = (['server', 'client'] as const).flatMap((side) => {
        const close = side === 'server' ? lane.conn?.serverClose : lane.conn?.clientClose
        return close ? [{ side, by: close.by, reset: close.reset }] : []
      })
      // A connection counts its marks without building them (one object each).
      const marks = lane.conn ? lane.conn.markCount : (lane.proc?.marks ?? lane.thread?.marks ?? []).length
      return {
        key: lane.key,
        kind: lane.kind,
        label: lane.label,
        sublabel: lane.sublabel,
        run: lane.run,
        conn: lane.connKey,
        index: lane.index,
        pid: lane.proc?.pid ?? lane.thread?.pid ?? null,
        y: lane.y,
        height: lane.height,
        onScreen: lane.y + lane.height > top && lane.y < bottom,
        // As frame.ts dims them.
        dimmed: related !== null && lane.kind !== 'group' && !related.has(lane.key),
        phases: phases.map((p) => ({ kind: p.kind, on: p.on ?? null, start: p.start, end: p.end, conn: p.conn ?? null, task: p.task ?? false, sockets: p.sockets ?? null })),
        marks: marks + (lane.loop?.wakeups.length ?? 0),
        acceptT: lane.conn?.acceptT ?? null,
        serverCloseT: lane.conn?.serverCloseT ?? null,
        clientCloseT: lane.conn?.clientCloseT ?? null,
        closes,
      }
    }),
  }
}
