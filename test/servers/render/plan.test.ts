import { describe, expect, it } from 'vitest'
import { frameTime, parseSize, planFrames, videoFormatOf } from '../../../src/servers/render/plan.ts'

const recording = { start: 400_000, end: 10_400_000 }

describe('a render plan', () => {
  it('makes range / speed × fps frames, frame i at from + i / fps × speed, counted from the first event', () => {
    const plan = planFrames({ from: 1, to: 8, fps: 30, speed: 0.5 }, recording)
    expect(plan.frames).toBe(420)
    expect(plan.durationS).toBe(14)
    expect(frameTime(plan, 0)).toBe(1_400_000)
    expect(frameTime(plan, 30)).toBe(1_900_000)
    // The whole recording by default: 10 s at 30 fps is 300 frames.
    expect(planFrames({ fps: 30, speed: 1 }, recording).frames).toBe(300)
  })

  it('refuses what cannot be rendered, with coded errors', () => {
    const bad = (ask: Parameters<typeof planFrames>[0]) => () => planFrames(ask, recording)
    expect(bad({ from: 5, to: 2, fps: 30, speed: 1 })).toThrow(/--to \(2 s\) must be after --from \(5 s\)/)
    expect(bad({ from: 11, fps: 30, speed: 1, to: 12 })).toThrow(/--from 11 s is past the recording's end \(10 s\)/)
    expect(bad({ fps: 0, speed: 1 })).toThrow(/--fps must be an integer from 1 to 60/)
    expect(bad({ fps: 30, speed: 0 })).toThrow(/--speed/)
    expect(bad({ fps: 60, speed: 0.01 })).toThrow(expect.objectContaining({ code: 'LIMIT_REACHED' }))
    expect(() => parseSize('1281x720')).toThrow(expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(/even sides/) }))
    expect(parseSize('1920x1080')).toEqual({ width: 1920, height: 1080 })
    expect(() => videoFormatOf('out.avi')).toThrow(/\.mp4, \.webm, \.gif/)
    expect(videoFormatOf('a/b.GIF')).toBe('gif')
  })
})
