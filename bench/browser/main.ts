/**
 * The bench page: the renderer's real store, track model, layout and frame renderer on a
 * generated trace (trace-generator.ts), in Chromium. `window.sockscopeBench.open()` ingests
 * it as the app does (batches appended to the EventStore and routed by the TraceModel, then
 * every track derived and the lanes laid out); `frames()` draws the timeline frame by frame
 * in requestAnimationFrame while zooming in, panning, scrolling through the lanes and
 * zooming out, and returns each frame's draw time.
 */
import { EventStore } from '../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../src/renderer/model/trace-model.ts'
import { type ClientGroupInfo, type Layout, layoutLanes } from '../../src/renderer/timeline/layout.ts'
import { PALETTES } from '../../src/renderer/timeline/palette.ts'
import { GEOMETRY_DEFAULTS, type RenderContext } from '../../src/renderer/timeline/render/context.ts'
import { renderConnectionLane } from '../../src/renderer/timeline/render/connection-track.ts'
import { renderFrame } from '../../src/renderer/timeline/render/frame.ts'
import { renderGroupLane, renderLoopLane, renderProcessLane } from '../../src/renderer/timeline/render/process-track.ts'
import { TimeScale } from '../../src/renderer/timeline/time-scale.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import { generateTrace } from '../trace-generator.ts'

export interface OpenFigures {
  events: number
  connections: number
  lanes: number
  generateMs: number
  appendMs: number
  routeMs: number
  deriveMs: number
  layoutMs: number
  storeBytes: number
}

export interface FrameFigures {
  /** Draw time of each frame (ms), by what the frame did. */
  draw: Record<'zoom-in' | 'pan' | 'scroll' | 'zoom-out', number[]>
  /** Time between frames (ms), all of them. */
  intervals: number[]
}

const BATCH = 5000
let store: EventStore | null = null
let model: TraceModel | null = null
let layout: Layout | null = null

function open(options: { events: number; connections: number; reserve?: boolean }): OpenFigures {
  store = new EventStore()
  // As the app's open will: the file's size says about how many events come.
  if (options.reserve) store.reserve(options.events)
  model = new TraceModel(store)
  let generateMs = 0
  let appendMs = 0
  let routeMs = 0
  let batch: SockscopeEvent[] = []
  const flush = () => {
    let t0 = performance.now()
    const result = store!.append(batch)
    appendMs += performance.now() - t0
    t0 = performance.now()
    model!.ingest(result)
    routeMs += performance.now() - t0
    batch = []
  }
  let g0 = performance.now()
  for (const e of generateTrace(options)) {
    batch.push(e)
    if (batch.length === BATCH) {
      generateMs += performance.now() - g0
      flush()
      g0 = performance.now()
    }
  }
  generateMs += performance.now() - g0
  if (batch.length) flush()
  let t0 = performance.now()
  const connections = model.connections()
  const processes = model.processes()
  const threads = model.threads()
  const loops = model.loops()
  const servers = model.servers()
  const deriveMs = performance.now() - t0
  t0 = performance.now()
  // What the timeline shows for a recording: its servers, its client workloads, every lane.
  const clients: ClientGroupInfo[] = processes
    .filter((p) => p.role === 'client' && p.run !== null)
    .map((p) => ({ run: p.run!, pid: p.pid, workload: 'burst', count: connections.filter((c) => c.clientRun === p.run).length, port: connections[0]?.serverPort ?? null, state: 'finished', startedAt: p.startT ?? 0 }))
  layout = layoutLanes({ servers: servers.map(({ listenT, ...s }) => ({ ...s, state: 'recorded', startedAt: listenT })), clients, connections, processes, threads, loops })
  const layoutMs = performance.now() - t0
  return { events: store.size, connections: connections.length, lanes: layout.lanes.length, generateMs, appendMs, routeMs, deriveMs, layoutMs, storeBytes: store.byteSize }
}

async function frames(options: { width: number; height: number }): Promise<FrameFigures> {
  if (!store || !layout) throw new Error('open() first')
  const canvas = document.getElementById('timeline') as HTMLCanvasElement
  const { width, height } = options
  canvas.width = width
  canvas.height = height
  canvas.style.width = `${width}px`
  canvas.style.height = `${height}px`
  const ctx = canvas.getContext('2d')!
  const origin = store.minT
  const end = store.maxT
  const patterns = new Map<string, CanvasPattern | string>()
  const draw: FrameFigures['draw'] = { 'zoom-in': [], pan: [], scroll: [], 'zoom-out': [] }
  const intervals: number[] = []
  // The plan: 120 frames zooming in 5 % each around the middle, 120 panning 2 % of the
  // window each, 60 scrolling down the lanes 240 px each, 60 zooming out 10 % each.
  const plan: (keyof FrameFigures['draw'])[] = [
    ...Array<'zoom-in'>(120).fill('zoom-in'),
    ...Array<'pan'>(120).fill('pan'),
    ...Array<'scroll'>(60).fill('scroll'),
    ...Array<'zoom-out'>(60).fill('zoom-out'),
  ]
  let start = origin
  let stop = end
  let scrollY = 0
  let last = 0
  const maxScroll = Math.max(0, layout.height - height)
  const connIndex = layout.connIndex
  await new Promise<void>((resolve) => {
    let frame = 0
    const step = (now: number) => {
      if (last) intervals.push(now - last)
      last = now
      const what = plan[frame]!
      const span = stop - start
      const middle = (start + stop) / 2
      if (what === 'zoom-in') [start, stop] = [middle - span * 0.475, middle + span * 0.475]
      else if (what === 'pan') [start, stop] = [start + span * 0.02, stop + span * 0.02]
      else if (what === 'scroll') scrollY = Math.min(maxScroll, scrollY + 240)
      else [start, stop] = [middle - span * 0.55, middle + span * 0.55]
      const t0 = performance.now()
      const g = { width, height, scrollY, ...GEOMETRY_DEFAULTS }
      const rc: RenderContext = {
        ctx,
        scale: new TimeScale(start, stop, g.labelWidth, g.width - 14),
        palette: PALETTES.dark,
        geometry: g,
        origin,
        liveEnd: () => end,
        selectedConn: null,
        font: '12.5px Inter, "DejaVu Sans", system-ui, sans-serif',
        patterns,
        connLabel: (conn) => (connIndex.has(conn) ? `#${connIndex.get(conn)}` : undefined),
      }
      renderFrame(rc, layout!, { now: null, hoverT: null, hoverLane: null, playhead: null, markers: [] })
      // Count what the browser must still do for the frame (rasterising the canvas).
      ctx.getImageData(0, 0, 1, 1)
      draw[what].push(performance.now() - t0)
      frame++
      if (frame < plan.length) requestAnimationFrame(step)
      else resolve()
    }
    requestAnimationFrame(step)
  })
  return { draw, intervals }
}

/**
 * Where a frame's time goes: each visible lane's track renderer timed alone, by lane kind,
 * for a window of `fraction` of the trace's span around its middle (ms, summed over `repeat` draws).
 */
function laneCosts(options: { fraction: number; width: number; height: number; repeat: number }): Record<string, number> {
  if (!store || !layout) throw new Error('open() first')
  const canvas = document.getElementById('timeline') as HTMLCanvasElement
  canvas.width = options.width
  canvas.height = options.height
  const ctx = canvas.getContext('2d')!
  const middle = (store.minT + store.maxT) / 2
  const half = ((store.maxT - store.minT) * options.fraction) / 2
  const g = { width: options.width, height: options.height, scrollY: 0, ...GEOMETRY_DEFAULTS }
  const rc: RenderContext = {
    ctx,
    scale: new TimeScale(middle - half, middle + half, g.labelWidth, g.width - 14),
    palette: PALETTES.dark,
    geometry: g,
    origin: store.minT,
    liveEnd: () => store!.maxT,
    selectedConn: null,
    font: '12.5px Inter, "DejaVu Sans", system-ui, sans-serif',
    patterns: new Map(),
  }
  const costs: Record<string, number> = {}
  const shown = layout.lanes.filter((lane) => lane.y < options.height)
  for (let r = 0; r < options.repeat; r++)
    for (const lane of shown) {
      const t0 = performance.now()
      TRACKS[lane.kind](rc, lane, lane.y)
      ctx.getImageData(0, 0, 1, 1)
      costs[lane.kind] = (costs[lane.kind] ?? 0) + performance.now() - t0
    }
  return costs
}

const TRACKS = { group: renderGroupLane, server: renderProcessLane, process: renderProcessLane, thread: renderProcessLane, clients: renderProcessLane, conn: renderConnectionLane, loop: renderLoopLane }

declare global {
  interface Window {
    sockscopeBench: { open: typeof open; frames: typeof frames; laneCosts: typeof laneCosts }
  }
}
window.sockscopeBench = { open, frames, laneCosts }
