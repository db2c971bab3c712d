import { describe, expect, it } from 'vitest'
import { fit, follow, MIN_SPAN_US, panBy, span, wheelZoomFactor, zoomAt } from '../../../src/renderer/timeline/viewport.ts'

describe('viewport', () => {
  it('zooms around the anchor, keeping it under the pointer', () => {
    const v = zoomAt({ start: 0, end: 10e6 }, 0.5, 8e6)
    expect(span(v)).toBe(5e6)
    // The anchor was 80% across and still is.
    expect((8e6 - v.start) / span(v)).toBeCloseTo(0.8)
  })

  it('does not zoom past 20 µs across', () => {
    let v = { start: 0, end: 1e6 }
    for (let i = 0; i < 100; i++) v = zoomAt(v, 0.5, 500_000)
    expect(span(v)).toBe(MIN_SPAN_US)
  })

  it('pans by a duration and follows the live edge with the same span', () => {
    expect(panBy({ start: 0, end: 10 }, 5)).toEqual({ start: 5, end: 15 })
    expect(follow({ start: 0, end: 4e6 }, 9e6)).toEqual({ start: 5e6, end: 9e6 })
  })

  it('fits a range with a margin on both sides', () => {
    const v = fit(1e6, 3e6, 0.05)
    expect(v.start).toBeCloseTo(0.9e6)
    expect(v.end).toBeCloseTo(3.1e6)
  })

  it('turns wheel notches into gentle zoom factors in both directions', () => {
    expect(wheelZoomFactor(100)).toBeGreaterThan(1)
    expect(wheelZoomFactor(-100)).toBeLessThan(1)
    expect(wheelZoomFactor(100) * wheelZoomFactor(-100)).toBeCloseTo(1)
    expect(wheelZoomFactor(3, 1)).toBeCloseTo(wheelZoomFactor(48))
  })
})
