import { describe, expect, it } from 'vitest'
import { labelWords } from '../../../../src/renderer/timeline/render/context.ts'

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
