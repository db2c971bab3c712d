import { defineStore } from 'pinia'
import { markRaw, shallowRef } from 'vue'
import type { SockscopeEvent } from '../../servers/events.ts'
import { EventStore, type StoreSnapshot } from '../model/event-store.ts'
import { markOpenPhase } from '../recording/open-marks.ts'
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
  /**
   * Bumped by every reset (a clear, a reconnection): what other areas keep about the old
   * events (a selection, a filter, a zoomed window) is stale then.
   */
  const epoch = shallowRef(0)
  /**
   * The lab's time of the last clear (null: none). What came before it is forgotten, but
   * for the OS's reading of the processes still alive, which goes to the OS table alone:
   * the same for a session that saw the clear and for one that joined after it.
   */
  let since: number | null = null
  /** The lab's clock as last reported, and when (performance.now()) it was. */
  let labNow = 0
  let labNowAt = performance.now()
  const batcher = new FrameBatcher(() => {
    if (!loading.value) version.value++
  })
  /**
   * A recording is being loaded (stores/recording.ts): batches land in the store, but
   * `version` stays until the last, so what is derived from the store (lanes, tables, the
   * log) is computed once for the whole recording, not once per frame of a load that
   * takes a few seconds.
   */
  const loading = shallowRef(false)

  function setLoading(on: boolean): void {
    if (loading.value === on) return
    loading.value = on
    if (on) return
    // Every track derived here, once, before any panel asks (they all read the model's lists).
    model.connections()
    model.processes()
    model.threads()
    model.loops()
    model.servers()
    markOpenPhase('derived')
    version.value++
  }

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
    const kept = since === null ? events : afterClear(events, since)
    if (kept.length) model.ingest(store.append(kept))
    batcher.schedule()
  }

  /**
   * A whole recording, built off the page (the parse worker), in place of what the store
   * held: called after a reset (stores/recording.ts resets when the files are read), and
   * while loading, so that what is derived from the store is derived once, when loading ends.
   */
  function adopt(snapshot: StoreSnapshot): void {
    since = null
    store.adopt(snapshot)
    model.reset()
    model.ingestAll()
    syncClock(Number.isFinite(store.maxT) ? store.maxT : 0)
    batcher.schedule()
  }

  /** The events from `cut` on; of those before it, the OS's readings update the OS table only. */
  function afterClear(events: readonly SockscopeEvent[], cut: number): readonly SockscopeEvent[] {
    if (events.every((e) => e.t >= cut)) return events
    const kept: SockscopeEvent[] = []
    for (const e of events) {
      if (e.t >= cut) kept.push(e)
      else if (e.kind === 'proc' || e.kind === 'sockets') model.os.apply(e)
    }
    return kept
  }

  /**
   * `keepLiveOs`: a cleared timeline keeps the processes the kernel still lists; `since`:
   * the clear's time, before which events are forgotten (see `since` above). Not
   * batched: what was derived from the old events (the log's positions, the lanes) holds
   * only while the store grows, so it must be recomputed before anything reads the emptied
   * store, not a frame later.
   */
  function reset(now: number, options: { keepLiveOs?: boolean; since?: number | null } = {}): void {
    syncClock(now)
    since = options.since ?? null
    store.clear()
    model.reset(options)
    version.value++
    epoch.value++
  }

  /** Time zero of the axis and the tables: the first event seen. */
  function origin(): number {
    return Number.isFinite(store.minT) ? store.minT : labNow
  }

  return { store, model, version, epoch, loading, nowUs, syncClock, ingest, adopt, reset, origin, setLoading }
})
