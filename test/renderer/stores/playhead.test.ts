import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useLabStore } from '../../../src/renderer/stores/lab.ts'
import { usePlayheadStore } from '../../../src/renderer/stores/playhead.ts'
import { useTimelineStore } from '../../../src/renderer/stores/timeline.ts'
import { useTraceStore } from '../../../src/renderer/stores/trace.ts'
import { ev, forkConnection, server } from '../events.ts'

/** Animation frames run by hand: `frame(ms)` runs the pending one that many ms after the last. */
let pending: FrameRequestCallback | null = null
let clock = 0
const frame = (ms: number) => {
  const run = pending
  pending = null
  clock += ms
  run?.(clock)
}

describe('the playhead', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    globalThis.requestAnimationFrame = (cb) => {
      pending = cb
      return 1
    }
  })
  afterEach(() => {
    pending = null
  })
  beforeEach(() => (clock = 0))

  function recorded() {
    const trace = useTraceStore()
    useLabStore()
    const timeline = useTimelineStore()
    trace.ingest([ev('listen', 0, server(), { host: '127.0.0.1', port: 2, model: 'fork', app: 'echo' }), ...forkConnection('1>2', 1e6, 501)], 0)
    return { trace, timeline, playhead: usePlayheadStore() }
  }

  it('follows the edge until moved, then stays where it was put, within the recording', () => {
    const { trace, playhead } = recorded()
    expect(playhead.following).toBe(true)
    expect(playhead.at()).toBe(trace.store.maxT)
    expect(playhead.shownAt).toBeNull()
    playhead.seek(2e6)
    expect(playhead.at()).toBe(2e6)
    expect(playhead.shownAt).toBe(2e6)
    playhead.seek(-5)
    expect(playhead.at()).toBe(0)
    playhead.seek(1e12)
    expect(playhead.at()).toBe(trace.store.maxT)
    playhead.follow()
    expect(playhead.shownAt).toBeNull()
  })

  it('steps event by event and back, and jumps from marker to marker', () => {
    const { playhead } = recorded()
    playhead.seek(1e6)
    playhead.step(1)
    expect(playhead.at()).toBe(1e6 + 50)
    playhead.step(-1)
    expect(playhead.at()).toBe(1e6)
    playhead.seek(0)
    playhead.jumpToMarker(1)
    expect(playhead.at()).toBe(1e6 + 300)
    playhead.jumpToMarker(1)
    expect(playhead.at()).toBe(1e6 + 2000)
    playhead.jumpToMarker(-1)
    expect(playhead.at()).toBe(1e6 + 300)
    playhead.addMarker('watch the queue')
    expect(playhead.markers.some((m) => m.kind === 'user' && m.label === 'watch the queue' && m.t === 1e6 + 300)).toBe(true)
  })

  it('plays at its speed, skips idle time when asked, loops a range, and stops at the end', () => {
    const { trace, playhead } = recorded()
    playhead.seek(0)
    playhead.setSpeed(2)
    playhead.play()
    // The first frame starts the clock; 100 ms later at 2×: 200 ms of the recording.
    frame(16)
    expect(playhead.at()).toBe(0)
    frame(100)
    expect(playhead.at()).toBe(0.2e6)
    playhead.idleLimitUs = 0.2e6
    frame(200)
    // Past the idle limit in the gap before the connect at 1 s: on to just before it.
    expect(playhead.at()).toBeCloseTo(1e6 - 0.1e6, -3)
    playhead.idleLimitUs = null
    playhead.setLoop({ from: 1e6, to: 1.5e6 })
    playhead.seek(1.45e6)
    frame(100)
    expect(playhead.at()).toBe(1e6)
    playhead.setLoop(null)
    playhead.setSpeed(16)
    playhead.seek(trace.store.maxT - 1000)
    playhead.play()
    frame(16)
    frame(250)
    expect(playhead.at()).toBe(trace.store.maxT)
    expect(playhead.playing).toBe(false)
  })

  it('paused live, the picture stays while events go on arriving; follow catches up', () => {
    const trace = useTraceStore()
    const lab = useLabStore()
    const timeline = useTimelineStore()
    const playhead = usePlayheadStore()
    lab.setRuns([{ id: 's1', kind: 'server', pid: 100, state: 'running', spec: { model: 'fork' }, startedAt: 0, endedAt: null } as never])
    trace.ingest(forkConnection('1>2', 1e6, 501), 7e6)
    playhead.pause()
    const frozen = timeline.currentView()
    const at = playhead.at()
    trace.ingest(forkConnection('3>2', 8e6, 502), 15e6)
    expect(playhead.at()).toBe(at)
    expect(timeline.currentView()).toEqual(frozen)
    expect(playhead.shownAt).toBe(at)
    timeline.setFollowing(true)
    expect(playhead.following).toBe(true)
    expect(playhead.at()).toBeGreaterThanOrEqual(trace.store.maxT)
    expect(timeline.currentView().end).toBeGreaterThan(frozen.end)
  })

  it('starts at the edge again after a clear', () => {
    const { trace, playhead } = recorded()
    playhead.seek(2e6)
    trace.reset(30e6)
    expect(playhead.following).toBe(true)
    expect(playhead.playing).toBe(false)
  })
})
