import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { clampSpeed, type Marker, MarkerIndex, markerFrom, nextSpeed, skipIdle, stepTime } from '../model/replay.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/** A range played over and over, in store time (µs). */
export interface LoopRange {
  from: number
  to: number
}

/**
 * The replay's one clock: the instant every panel shows. Following, it is pinned to the
 * edge (now while something runs, else the last event), which is what live mode is;
 * paused or scrubbed, it stays where it was put while events go on arriving behind it.
 * Times are the store's (µs since the recording's zero), so an event's `t` is a playhead
 * position as it stands.
 */
export const usePlayheadStore = defineStore('playhead', () => {
  const trace = useTraceStore()
  const timeline = useTimelineStore()
  const following = ref(true)
  /** Where the playhead is while not following. */
  const position = ref(0)
  const playing = ref(false)
  const speed = ref(1)
  const loop = ref<LoopRange | null>(null)
  /** Gaps with no event longer than this (µs) play as this long; null: real time throughout. */
  const idleLimitUs = ref<number | null>(null)
  const userMarkers = ref<Marker[]>([])
  /** Bumped on every move, so a canvas drawing the playhead knows to draw again. */
  const moved = shallowRef(0)

  function edge(): number {
    return timeline.edge()
  }

  function start(): number {
    return trace.origin()
  }

  /** The playhead now (µs, store time). */
  function at(): number {
    return following.value ? edge() : position.value
  }

  /**
   * What the panels show: null while following (the latest state, as events arrive),
   * else the instant they show. Reactive: a computed, not a function of the clock.
   */
  const shownAt = computed<number | null>(() => (following.value ? null : position.value))

  let markerIndex = new MarkerIndex()
  const markers = computed<Marker[]>(() => {
    void trace.version
    void trace.epoch
    const found = markerIndex.update(trace.store)
    return userMarkers.value.length ? [...found, ...userMarkers.value].sort((a, b) => a.t - b.t) : found
  })

  function place(t: number): void {
    position.value = Math.min(edge(), Math.max(start(), t))
    moved.value++
  }

  /** Put the playhead at `t` (clamped to the recording); it stops following. */
  function seek(t: number): void {
    if (!Number.isFinite(t)) return
    following.value = false
    place(t)
  }

  /** To the recording's first event (paused there). */
  function toStart(): void {
    playing.value = false
    seek(start())
  }

  /** Pin the playhead to the edge again: live mode, or the end of a recording. */
  function follow(): void {
    playing.value = false
    following.value = true
    moved.value++
  }

  function pause(): void {
    if (following.value) seek(edge())
    playing.value = false
  }

  function play(): void {
    if (following.value || position.value >= edge()) {
      // At the end of what there is: a recording plays again from its start (or its loop's).
      if (timeline.isLive()) return
      seek(loop.value?.from ?? start())
    }
    playing.value = true
    lastTick = null
    frame ??= requestAnimationFrame(tick)
  }

  function togglePlay(): void {
    if (playing.value) pause()
    else play()
  }

  function setSpeed(value: number): void {
    speed.value = clampSpeed(value)
  }

  function faster(dir: 1 | -1): void {
    setSpeed(nextSpeed(speed.value, dir))
  }

  /** To the next (1) or previous (-1) event, of `conn` alone when given. */
  function step(dir: 1 | -1, conn: string | null = null): void {
    playing.value = false
    const t = stepTime(trace.store, at(), dir, conn)
    if (t !== null) seek(t)
  }

  function jumpToMarker(dir: 1 | -1): void {
    playing.value = false
    const m = markerFrom(markers.value, at(), dir)
    if (m) seek(m.t)
  }

  function addMarker(label = 'marker'): void {
    const t = at()
    userMarkers.value = [...userMarkers.value, { t, kind: 'user', label, seq: null }]
  }

  function setLoop(range: LoopRange | null): void {
    loop.value = range && range.to > range.from ? range : null
  }

  let frame: number | null = null
  /** The previous frame's time; null before the first frame of a play, which only starts the clock. */
  let lastTick: number | null = null

  /** One animation frame of play: advance by the time elapsed × speed, skip idle gaps, loop, stop at the end. */
  function tick(now: number): void {
    frame = null
    if (!playing.value) return
    // A frame long in coming (a hidden tab, a busy machine) moves the playhead a quarter second at most.
    const elapsedMs = lastTick === null ? 0 : Math.max(0, Math.min(250, now - lastTick))
    lastTick = now
    let t = skipIdle(trace.store, position.value + elapsedMs * 1000 * speed.value, idleLimitUs.value)
    const range = loop.value
    if (range && t >= range.to) t = range.from
    if (t >= edge()) {
      if (timeline.isLive()) return follow()
      place(edge())
      playing.value = false
      return
    }
    place(t)
    frame = requestAnimationFrame(tick)
  }

  // A clear or a new recording: the old instant means nothing; show the new edge.
  watch(
    () => trace.epoch,
    () => {
      playing.value = false
      following.value = true
      loop.value = null
      userMarkers.value = []
      markerIndex = new MarkerIndex()
      moved.value++
    },
    { flush: 'sync' },
  )

  return {
    following, position, playing, speed, loop, idleLimitUs, userMarkers, moved, shownAt, markers,
    at, edge, seek, toStart, follow, pause, play, togglePlay, setSpeed, faster, step, jumpToMarker, addMarker, setLoop,
  }
})
