import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { RunInfo } from '../../servers/web/protocol.ts'
import { HIDDEN_BY_DEFAULT, KIND_GROUPS, LogIndex, noteRows } from '../model/log-filter.ts'
import { usePlayheadStore } from './playhead.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/**
 * The event log's area: which kinds and connections it shows, and whether it follows new
 * events; and, among the events, a row for what each finished workload computed.
 */
export const useLogStore = defineStore('log', () => {
  const trace = useTraceStore()
  const timeline = useTimelineStore()
  const playhead = usePlayheadStore()
  /** Kind groups switched off. */
  const hiddenGroups = ref<string[]>([...HIDDEN_BY_DEFAULT])
  /** 'all', 'selected' (the timeline's selection), or a connection id. */
  const connFilter = ref<string>('all')
  const following = ref(true)

  const kinds = computed<Set<string> | null>(() => {
    if (hiddenGroups.value.length === 0) return null
    const shown = new Set<string>()
    for (const group of KIND_GROUPS) if (!hiddenGroups.value.includes(group.id)) for (const kind of group.kinds) shown.add(kind)
    return shown
  })
  const conns = computed<Set<string> | null>(() => {
    if (connFilter.value === 'all') return null
    if (connFilter.value === 'selected') return timeline.selectedConn ? new Set([timeline.selectedConn]) : null
    return new Set([connFilter.value])
  })

  /** Positions (in time order) of the events shown; a computed, so never older than its inputs (kept up as the store grows, not rescanned). */
  let logIndex = new LogIndex()
  let indexEpoch = trace.epoch
  const indices = computed<Uint32Array>(() => {
    void trace.version
    // A clear: seqs start again, so the index cannot tell a refilled store from a grown one.
    if (trace.epoch !== indexEpoch) {
      logIndex = new LogIndex()
      indexEpoch = trace.epoch
    }
    return logIndex.update(trace.store, { kinds: kinds.value, conns: conns.value })
  })

  /** Finished workloads with what they computed, in the order they ended: shown unless a connection is picked. */
  const results = computed<RunInfo[]>(() => {
    if (conns.value || hiddenGroups.value.includes('result')) return []
    return timeline.runs.filter((r) => r.kind === 'clients' && r.outcome && r.endedAt !== null).sort((a, b) => a.endedAt! - b.endedAt!)
  })
  /** The row of each result among the events (see noteRows). */
  const resultRows = computed<number[]>(() => {
    void trace.version
    return noteRows(trace.store, indices.value, results.value.map((r) => r.endedAt!))
  })
  const rowCount = computed(() => indices.value.length + results.value.length)

  /**
   * The first row after the playhead (what has not happened yet at that instant: drawn
   * dimmed, and the log keeps the row before it in view); null while the playhead follows.
   */
  const futureFrom = computed<number | null>(() => {
    const at = playhead.shownAt
    if (at === null) return null
    void trace.version
    const cut = trace.store.upperBound(at)
    const list = indices.value
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (list[mid]! < cut) lo = mid + 1
      else hi = mid
    }
    // Rows count the workloads' results too: those placed before this event's row.
    let row = lo
    for (const note of resultRows.value) if (note <= row) row++
    return row
  })

  function toggleGroup(id: string): void {
    hiddenGroups.value = hiddenGroups.value.includes(id) ? hiddenGroups.value.filter((g) => g !== id) : [...hiddenGroups.value, id]
  }

  // A clear (or a reconnection): the connection picked may be gone; the newest rows are what to show.
  watch(
    () => trace.epoch,
    () => {
      if (connFilter.value !== 'selected') connFilter.value = 'all'
      following.value = true
    },
    { flush: 'sync' },
  )

  return { hiddenGroups, connFilter, following, kinds, indices, results, resultRows, rowCount, futureFrom, toggleGroup }
})
