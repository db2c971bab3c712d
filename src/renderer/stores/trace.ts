import { defineStore } from 'pinia'
import { markRaw, shallowRef } from 'vue'
import type { SockscopeEvent } from '../../servers/events.ts'
import { EventStore } from '../model/event-store.ts'
import { TraceModel } from '../model/trace-model.ts'
import { FrameBatcher } from './frame-batcher.ts'

/**
 * The event stream's area: the columnar store and the track model, both outside Vue's
 * reactivity. Batches land in the store as they arrive; `version` changes at most once
 * per frame, and that is what tables and the canvas watch. Between two versions the store
 * only grows (so positions derived at the last version stay valid); a reset, which
 * empties it, changes `version` at once.
 */
export const useTraceStore = defineStore('trace', () => {
  const store = markRaw(new EventStore())
  const model = markRaw(new TraceModel(store))
  const version = shallowRef(0)
  /** The lab's clock as last reported, and when (performance.now()) it was. */
  let labNow = 0
  let labNowAt = performance.now()
  const batcher = new FrameBatcher(() => {
    version.value++
  })

  function syncClock(now: number): void {
    labNow = now
    labNowAt = performance.now()
  }

  /** The lab's time now (µs), between the host's reports. */
  function nowUs(): number {
    return labNow + (performance.now() - labNowAt) * 1000
  }

  function ingest(events: readonly SockscopeEvent[], now: number): void {
    syncClock(now)
    if (events.length) model.ingest(store.append(events))
    batcher.schedule()
  }

  /**
   * `keepLiveOs`: a cleared timeline keeps the processes the kernel still lists. Not
   * batched: what was derived from the old events (the log's positions, the lanes) holds
   * only while the store grows, so it must be recomputed before anything reads the emptied
   * store, not a frame later.
   */
  function reset(now: number, options: { keepLiveOs?: boolean } = {}): void {
    syncClock(now)
    store.clear()
    model.reset(options)
    version.value++
  }

  /** Time zero of the axis and the tables: the first event seen. */
  function origin(): number {
    return Number.isFinite(store.minT) ? store.minT : labNow
  }

  return { store, model, version, nowUs, syncClock, ingest, reset, origin }
})
