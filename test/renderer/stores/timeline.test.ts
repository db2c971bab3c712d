import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { useLabStore } from '../../../src/renderer/stores/lab.ts'
import { useTimelineStore } from '../../../src/renderer/stores/timeline.ts'
import { useTraceStore } from '../../../src/renderer/stores/trace.ts'
import { forkConnection } from '../events.ts'

describe('the timeline store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  // Issue 9: after a zoom, Clear, then Follow live off, the view jumped to the old window
  // (−62 s … −60.8 s), even right after Fit all: turning following off took the last window
  // the user had set, not the one on screen.
  it('Follow live off keeps the window on screen, not an older one', () => {
    const trace = useTraceStore()
    const timeline = useTimelineStore()
    useLabStore()
    trace.ingest(forkConnection('1>2', 60e6, 501), 60e6)
    timeline.zoom(1 / 4)
    const zoomed = timeline.currentView()
    timeline.fitToAll()
    const fitted = timeline.currentView()
    expect(fitted.end - fitted.start).toBeGreaterThan(zoomed.end - zoomed.start)
    timeline.setFollowing(false)
    expect(timeline.following).toBe(false)
    expect(timeline.currentView()).toEqual(fitted)
    // On again: it follows the live edge with the span on screen.
    timeline.setFollowing(true)
    expect(timeline.following).toBe(true)
  })

  it('starts afresh after a clear: the whole picture, followed live, nothing selected', () => {
    const trace = useTraceStore()
    const timeline = useTimelineStore()
    useLabStore()
    trace.ingest(forkConnection('1>2', 1e6, 501), 2e6)
    timeline.zoom(1 / 4, 1.5e6)
    timeline.select('1>2')
    timeline.revealLane('conn:1>2')
    timeline.toggleGroup('group:s1')
    expect(timeline.following).toBe(false)

    trace.reset(70e6, { keepLiveOs: true, since: 70e6 })
    expect(timeline.following).toBe(true)
    expect(timeline.fitAll).toBe(true)
    expect(timeline.selectedConn).toBeNull()
    expect(timeline.reveal).toBeNull()
    // A preference, not a view of the old events: kept.
    expect(timeline.collapsed).toEqual(['group:s1'])
    // Off again straight after: the window is the new one, from the new events' origin.
    trace.ingest(forkConnection('3>2', 71e6, 502), 72e6)
    timeline.setFollowing(false)
    const view = timeline.currentView()
    expect(view.start).toBeGreaterThan(70e6)
    expect(view.start).toBeLessThanOrEqual(71e6)
  })
})
