import { describe, expect, it } from 'vitest'
import { RowHeights, visibleRows } from '../../../src/renderer/log/row-heights.ts'

describe('RowHeights', () => {
  it('places rows at the estimate until some are measured taller, and each row after them moves down by what they add', () => {
    const h = new RowHeights(26)
    expect(h.offset(0)).toBe(0)
    expect(h.offset(10)).toBe(260)
    h.measure(3, 44)
    h.measure(7, 62)
    expect(h.offset(3)).toBe(78)
    expect(h.offset(4)).toBe(78 + 44)
    expect(h.offset(8)).toBe(8 * 26 + 18 + 36)
    expect(h.height(7)).toBe(62)
    // The list's height: every row's.
    expect(h.offset(1_000_000)).toBe(26_000_000 + 54)
  })

  it('finds the row under a point, as the offsets place them', () => {
    const h = new RowHeights(26)
    h.measure(2, 80)
    const count = 100
    for (let i = 0; i < count; i++) {
      expect(h.indexAt(h.offset(i), count)).toBe(i)
      expect(h.indexAt(h.offset(i) + h.height(i) - 1, count)).toBe(i)
    }
    expect(h.indexAt(-5, count)).toBe(0)
    expect(h.indexAt(1e9, count)).toBe(count - 1)
  })

  it('keeps heights when rows are appended, forgets them on reset, and stays bounded', () => {
    const h = new RowHeights(26, 4)
    h.measure(1, 40)
    expect(h.measure(1, 40)).toBe(false)
    expect(h.offset(5)).toBe(5 * 26 + 14)
    h.reset()
    expect(h.offset(5)).toBe(130)
    for (let i = 0; i < 4; i++) h.measure(i, 30)
    expect(h.offset(4)).toBe(4 * 30)
    // A fifth measured row: past the cap, the old ones are forgotten (the rows on screen measure again).
    h.measure(10, 30)
    expect(h.offset(4)).toBe(4 * 26)
    expect(h.offset(11)).toBe(11 * 26 + 4)
  })

  it('draws the rows in view and a few either side, never past the list', () => {
    const h = new RowHeights(26)
    expect(visibleRows(h, 0, 0, 500, 12)).toEqual({ start: 0, end: 0 })
    expect(visibleRows(h, 1_000_000, 26 * 500_000, 260, 12)).toEqual({ start: 500_000 - 12, end: 500_010 + 1 + 12 })
    expect(visibleRows(h, 30, 0, 10_000, 12)).toEqual({ start: 0, end: 30 })
  })
})
