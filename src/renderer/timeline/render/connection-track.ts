import type { ConnectionTrack, Marks, Phase, Side } from '../../model/derive.ts'
import { phaseName } from '../../model/describe.ts'
import type { Lane } from '../layout.ts'
import { formatDuration, type TimeScale } from '../time-scale.ts'
import { barText, drawPhases, glyph, type RenderContext, tickHeight } from './context.ts'

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
  drawPhases(rc, track.phases, run, barTop, CONN_BAR.height, (phase, span) => {
    const end = phase.end ?? Math.max(phase.start, rc.liveEnd(run))
    const dark = phase.kind === 'queued' || phase.kind === 'ready' ? palette.text : '#0b0e14'
    // Only a bar with room for a word gets its label (building it costs more than the bar).
    if (span[1] - span[0] >= 30) barText(rc, `${phaseLabel(phase, track)} ${formatDuration(end - phase.start)}`, span[0], span[1], mid, dark, 6)
  })

  drawResetLabel(rc, track, mid)

  const ticks = track.ticks
  const labelWidth = rc.geometry.labelWidth
  // recv / send ticks, one rect per pixel column, side and kind however many fall in it.
  // (The fill is set when the kind changes: a canvas parses each colour it is given.)
  let fillKind = ''
  forEachIoColumn(ticks, scale, labelWidth, (x, side, kind, bytes) => {
    const h = tickHeight(bytes, 7)
    if (kind !== fillKind) {
      ctx.fillStyle = kind === 'send' ? palette.send : palette.recv
      fillKind = kind
    }
    if (side === 'server') ctx.fillRect(x - 1, barTop - h - 0.5, 2, h)
    else ctx.fillRect(x - 1, barBottom + 0.5, 2, h)
  })
  // The other instants are few (an accept, a connect, two closes…): each is drawn.
  forEachOtherMark(ticks, scale, labelWidth, (i, x) => {
    const server = ticks.side(i) === 'server'
    switch (ticks.kind(i)) {
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
  })
}

const isIo = (kind: string) => kind === 'recv' || kind === 'send'

/** Marks a block of the level-of-detail index covers. */
export const LOD_BLOCK = 64
/** Below this many marks a track is scanned mark by mark. */
const LOD_MIN_MARKS = 4 * LOD_BLOCK

/**
 * A track's level-of-detail index: per block of LOD_BLOCK marks, the most bytes of each
 * side's recvs and sends in it (-1: none), and whether it holds any other instant. A block
 * that falls in one pixel column is then taken whole, so that drawing a zoomed-out track of
 * 100k recvs costs a few thousand steps, not 100k (Perfetto's summary tracks).
 */
interface IoIndex {
  /** [server send, server recv, client send, client recv] per block. */
  maxBytes: Int32Array
  hasOther: Uint8Array
}

const indexes = new WeakMap<Marks, IoIndex>()

function ioIndex(ticks: Marks): IoIndex {
  let index = indexes.get(ticks)
  if (index) return index
  const blocks = Math.ceil(ticks.length / LOD_BLOCK)
  index = { maxBytes: new Int32Array(blocks * 4).fill(-1), hasOther: new Uint8Array(blocks) }
  for (let i = 0; i < ticks.length; i++) {
    const block = (i / LOD_BLOCK) | 0
    const kind = ticks.kind(i)
    if (!isIo(kind)) {
      index.hasOther[block] = 1
      continue
    }
    const slot = block * 4 + (ticks.side(i) === 'server' ? 0 : 2) + (kind === 'send' ? 0 : 1)
    index.maxBytes[slot] = Math.max(index.maxBytes[slot]!, ticks.bytes(i))
  }
  indexes.set(ticks, index)
  return index
}

const SLOTS: readonly [Side, 'send' | 'recv'][] = [
  ['server', 'send'],
  ['server', 'recv'],
  ['client', 'send'],
  ['client', 'recv'],
]

/**
 * The recv / send ticks in view, one call per pixel column, side and kind that has any,
 * with the most bytes among them (`x` is the column's centre, as a single tick's). Where
 * a column has both a recv and a send on one side, the taller comes first, so the shorter
 * shows on top of it. A tick that is alone in its column is drawn as it is.
 */
export function forEachIoColumn(ticks: Marks, scale: TimeScale, labelWidth: number, draw: (x: number, side: Side, kind: 'send' | 'recv', bytes: number) => void): void {
  const n = ticks.length
  const index = n >= LOD_MIN_MARKS ? ioIndex(ticks) : null
  const column = new Float64Array(4).fill(-1)
  let columnX = Number.NaN
  const flush = () => {
    if (Number.isNaN(columnX)) return
    for (let side = 0; side < 4; side += 2) {
      const tallerFirst = column[side]! >= column[side + 1]!
      const a = tallerFirst ? side : side + 1
      const b = tallerFirst ? side + 1 : side
      if (column[a]! >= 0) draw(columnX, SLOTS[a]![0], SLOTS[a]![1], column[a]!)
      if (column[b]! >= 0) draw(columnX, SLOTS[b]![0], SLOTS[b]![1], column[b]!)
    }
    column.fill(-1)
  }
  let i = ticks.lowerBound(Math.max(scale.start - 1, scale.toT(labelWidth - 1)))
  while (i < n) {
    const t = ticks.t(i)
    if (t > scale.end) break
    const px = Math.round(scale.toX(t))
    const x = px + 0.5
    if (x < labelWidth) {
      i++
      continue
    }
    if (x !== columnX) {
      flush()
      columnX = x
    }
    // Whole blocks of the index inside this column: taken at once.
    if (index && i % LOD_BLOCK === 0) {
      const nextColumnT = scale.toT(px + 0.5)
      let block = i / LOD_BLOCK
      while (i + LOD_BLOCK <= n && !index.hasOther[block] && ticks.t(i + LOD_BLOCK - 1) < nextColumnT) {
        for (let slot = 0; slot < 4; slot++) column[slot] = Math.max(column[slot]!, index.maxBytes[block * 4 + slot]!)
        i += LOD_BLOCK
        block++
      }
      if (i >= n) break
      // The next tick is in another column: the loop's top takes it there.
      if (ticks.t(i) >= nextColumnT) continue
    }
    const kind = ticks.kind(i)
    if (isIo(kind)) {
      const slot = (ticks.side(i) === 'server' ? 0 : 2) + (kind === 'send' ? 0 : 1)
      column[slot] = Math.max(column[slot]!, ticks.bytes(i))
    }
    i++
  }
  flush()
}

/** The instants in view that are not recv / send, each with its x (a block of the index without any is skipped whole). */
export function forEachOtherMark(ticks: Marks, scale: TimeScale, labelWidth: number, draw: (i: number, x: number) => void): void {
  const n = ticks.length
  const index = n >= LOD_MIN_MARKS ? ioIndex(ticks) : null
  let i = ticks.lowerBound(scale.start - 1)
  while (i < n) {
    if (index && i % LOD_BLOCK === 0 && !index.hasOther[i / LOD_BLOCK]) {
      i += LOD_BLOCK
      continue
    }
    const t = ticks.t(i)
    if (t > scale.end) break
    if (!isIo(ticks.kind(i))) {
      const x = Math.round(scale.toX(t)) + 0.5
      if (x >= labelWidth) draw(i, x)
    }
    i++
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
