import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { filterLog, KIND_GROUPS } from '../model/log-filter.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/** The event log's area: which kinds and connections it shows, and whether it follows new events. */
export const useLogStore = defineStore('log', () => {
  const trace = useTraceStore()
  const timeline = useTimelineStore()
  /** Kind groups switched off. */
  const hiddenGroups = ref<string[]>(['block'])
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

  /** Positions (in time order) of the events shown; a computed, so never older than its inputs. */
  const indices = computed<Uint32Array>(() => {
    void trace.version
    return filterLog(trace.store, { kinds: kinds.value, conns: conns.value })
  })

  function toggleGroup(id: string): void {
    hiddenGroups.value = hiddenGroups.value.includes(id) ? hiddenGroups.value.filter((g) => g !== id) : [...hiddenGroups.value, id]
  }

  return { hiddenGroups, connFilter, following, kinds, indices, toggleGroup }
})
