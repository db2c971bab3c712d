import { describe, expect, it } from 'vitest'
import { axisTicks, formatDuration, formatTime, niceStep, TimeScale } from '../../../src/renderer/timeline/time-scale.ts'

describe('TimeScale', () => {
  it('maps µs to px and back across the plot area', () => {
    const scale = new TimeScale(1e6, 3e6, 200, 1200)
    expect(scale.toX(1e6)).toBe(200)
    expect(scale.toX(3e6)).toBe(1200)
    expect(scale.toX(2e6)).toBe(700)
    expect(scale.toT(700)).toBe(2e6)
    expect(scale.px(1e6)).toBe(500)
    expect(scale.pxPerUs).toBeCloseTo(0.0005)
    expect(scale.contains(0.5e6)).toBe(false)
  })

  it('never divides by zero on an empty span or width', () => {
    const scale = new TimeScale(5, 5, 10, 10)
    expect(Number.isFinite(scale.toX(6))).toBe(true)
    expect(Number.isFinite(scale.toT(20))).toBe(true)
  })
})

describe('axis ticks', () => {
  it('steps by 1, 2 or 5 × 10ⁿ', () => {
    expect(niceStep(10e6, 10)).toBe(1e6)
    expect(niceStep(7e6, 10)).toBe(1e6)
    expect(niceStep(1.5e6, 10)).toBe(200e3)
    expect(niceStep(40, 10)).toBe(5)
  })

  it('labels ticks relative to the origin, in the unit of the step', () => {
    const scale = new TimeScale(10e6, 16e6, 0, 600)
    const ticks = axisTicks(scale, 10e6, 100)
    expect(ticks.map((t) => t.label)).toEqual(['0 s', '1 s', '2 s', '3 s', '4 s', '5 s', '6 s'])
    expect(ticks[1]!.x).toBeCloseTo(100)
    const fine = axisTicks(new TimeScale(0, 2e3, 0, 1000), 0, 100)
    expect(fine.map((t) => t.label).slice(0, 3)).toEqual(['0 µs', '200 µs', '400 µs'])
  })

  it('shows sub-second steps in ms, or in s with decimals past a second', () => {
    expect(formatTime(250e3, 50e3)).toBe('250 ms')
    expect(formatTime(1.5e6, 500e3)).toBe('1.5 s')
    expect(formatTime(1.2e6, 200e3)).toBe('1.2 s')
    expect(formatTime(-2e6, 1e6)).toBe('−2 s')
  })

  it('reads durations the way people say them', () => {
    expect(formatDuration(5.004e6)).toBe('5.00 s')
    expect(formatDuration(312_400)).toBe('312 ms')
    // Rounding never prints a unit's upper bound: 999.7 ms is 1.00 s, 9.96 ms is 10 ms.
    expect(formatDuration(999_700)).toBe('1.00 s')
    expect(formatDuration(9_960)).toBe('10 ms')
    expect(formatDuration(999.6)).toBe('1.0 ms')
    expect(formatDuration(1_240)).toBe('1.2 ms')
    expect(formatDuration(85.4)).toBe('85 µs')
  })
})
