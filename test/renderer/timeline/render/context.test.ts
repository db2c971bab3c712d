import { describe, expect, it } from 'vitest'
import type { Phase } from '../../../../src/renderer/model/derive.ts'
import { PALETTES } from '../../../../src/renderer/timeline/palette.ts'
import { drawPhases, labelWords, type RenderContext } from '../../../../src/renderer/timeline/render/context.ts'
import { TimeScale } from '../../../../src/renderer/timeline/time-scale.ts'

describe('labelWords (where a bar label may be cut)', () => {
  it('keeps a number with its unit, so a cut label never reads "zombie 490"', () => {
    expect(labelWords('zombie 490 ms')).toEqual(['zombie', '490 ms'])
    expect(labelWords('accept queue 1.00 s')).toEqual(['accept', 'queue', '1.00 s'])
    expect(labelWords('sleep 85 µs')).toEqual(['sleep', '85 µs'])
  })

  it('leaves words that only look like units alone', () => {
    expect(labelWords('blocked on s')).toEqual(['blocked', 'on', 's'])
    expect(labelWords('starting')).toEqual(['starting'])
  })
})

describe('drawPhases (a lane’s bars at any zoom)', () => {
  /** Just enough of a canvas to count what is drawn. */
  const fakeContext = () => {
    const rects: number[][] = []
    const ctx = { fillStyle: '', fillRect: (...r: number[]) => rects.push(r) }
    const rc = {
      ctx,
      palette: PALETTES.dark,
      geometry: { width: 1100, height: 400, labelWidth: 100, axisHeight: 30, scrollY: 0 },
      liveEnd: () => 0,
      patterns: new Map([...new Set(Object.values(PALETTES.dark).flat())].map((c) => [`hatch:${String(c)}`, String(c)])),
    }
    return { rects, rc: (scale: TimeScale) => ({ ...rc, scale }) as unknown as RenderContext }
  }
  /** A loop's life: 100k waits of 8 µs with 2 µs of running between them. */
  const phases: Phase[] = Array.from({ length: 200_000 }, (_, i) => ({ kind: i % 2 ? 'sleeping' : 'running', start: i * 5, end: i * 5 + 5, seq: i, ...(i % 2 ? { on: 'select' as const } : {}) }))

  it('zoomed out, draws each pixel column once, however many phases fall in it', () => {
    const { rects, rc } = fakeContext()
    const labelled: Phase[] = []
    drawPhases(rc(new TimeScale(0, 1e6, 100, 1100)), phases, null, 0, 10, (p) => labelled.push(p))
    // At most a rect a column (neighbours of one fill merge), covering the plot from its left edge on.
    expect(rects.length).toBeLessThanOrEqual(1001)
    expect(rects.reduce((sum, r) => sum + r[2]!, 0)).toBeGreaterThanOrEqual(999)
    expect(Math.min(...rects.map((r) => r[0]!))).toBe(100)
    expect(labelled).toEqual([])
  })

  it('zoomed out, shows in each column the phase at its middle', () => {
    const { rects, rc } = fakeContext()
    // Waits of 600 µs with 400 µs of running between: at 1000 µs a pixel, the middle of every column is in a wait.
    const waits: Phase[] = Array.from({ length: 2000 }, (_, i): Phase => ({ kind: i % 2 ? 'sleeping' : 'running', start: Math.floor(i / 2) * 1000 + (i % 2 ? 200 : -200), end: Math.floor(i / 2) * 1000 + (i % 2 ? 800 : 200), seq: i, ...(i % 2 ? { on: 'select' as const } : {}) })).slice(1)
    const fills: string[] = []
    const r = rc(new TimeScale(0, 1e6, 100, 1100))
    const ctx = r.ctx as unknown as { fillRect: (...a: number[]) => void; fillStyle: string }
    const fillRect = ctx.fillRect
    ctx.fillRect = (...a: number[]) => {
      fills.push(ctx.fillStyle)
      fillRect(...a)
    }
    drawPhases(r, waits, null, 0, 10)
    expect(new Set(fills)).toEqual(new Set([PALETTES.dark.blocked.select]))
    expect(rects.length).toBeLessThan(5)
  })

  it('zoomed in, draws each phase in view as its own bar, and only those', () => {
    const { rects, rc } = fakeContext()
    const labelled: Phase[] = []
    drawPhases(rc(new TimeScale(500_000, 500_100, 100, 1100)), phases, null, 0, 10, (p) => labelled.push(p))
    // [499995, 500000] touches the view's start and [500100, 500105] its end: both drawn, as drawPhase draws them.
    expect(labelled.map((p) => p.seq)).toEqual(Array.from({ length: 22 }, (_, i) => 99_999 + i))
    expect(rects.length).toBe(22)
  })

  it('draws a long phase that starts in the column of a narrow one: a 0.5 s sleep right after a 1 µs run', () => {
    const { rects, rc } = fakeContext()
    const labelled: Phase[] = []
    // 1 ms a pixel: the accept's 1 µs of running and the recv's 2 µs fall in the column the sleep starts in.
    const served: Phase[] = [
      { kind: 'queued', start: 0, end: 549_000, seq: 0 },
      { kind: 'working', start: 549_000, end: 549_001, seq: 1 },
      { kind: 'blocked', on: 'recv', start: 549_001, end: 549_003, seq: 2 },
      { kind: 'blocked', on: 'sleep', start: 549_003, end: 1_050_000, seq: 3 },
      { kind: 'working', start: 1_050_000, end: 1_050_001, seq: 4 },
    ] as Phase[]
    drawPhases(rc(new TimeScale(0, 1e6, 100, 1100)), served, null, 0, 10, (p) => labelled.push(p))
    expect(labelled.map((p) => p.seq)).toEqual([0, 3])
    // The sleep's bar runs from its start to the view's end (x 649 → 1100).
    const sleep = rects.at(-1)!
    expect(sleep[0]!).toBeCloseTo(649, 0)
    expect(sleep[0]! + sleep[2]!).toBeCloseTo(1100, 0)
  })
})
