import { defineStore } from 'pinia'
import { computed, markRaw, ref, watch } from 'vue'
import { compareFigures } from '../model/compare/charts.ts'
import { compareEntries, compareEvents } from '../model/compare/pairs.ts'
import { usePlayheadStore } from './playhead.ts'
import { useTraceStore } from './trace.ts'

const KEY = 'sockscope.charts'

/**
 * The main view's charts (in place of the event log): connections in service and
 * accept-queue depth over time, and latency per client, for each server of the recording
 * that clients connected to (the first four), at the playhead. The same figures as the
 * compare view's (model/compare/), over every server rather than a compare's own, and
 * computed only while the charts show.
 */
export const useChartsStore = defineStore('charts', () => {
  const trace = useTraceStore()
  const playhead = usePlayheadStore()
  const open = ref<boolean>(load())
  watch(open, () => {
    try {
      localStorage.setItem(KEY, JSON.stringify({ open: open.value }))
    } catch {}
  })

  const entries = computed(() => {
    void trace.version
    void trace.epoch
    return open.value ? compareEntries(trace.model.servers(), trace.model.connections()) : []
  })
  const events = computed(() => {
    void trace.version
    return markRaw(entries.value.length ? compareEvents(trace.store, entries.value) : [])
  })
  const figures = computed(() => (entries.value.length ? compareFigures(events.value, entries.value, playhead.shownAt ?? Number.POSITIVE_INFINITY) : null))
  /** Each series' name: its server run and model (two servers may run the same model). */
  const labels = computed(() => entries.value.map((e) => `${e.serverRun} · ${e.model}`))

  const toggle = () => (open.value = !open.value)
  return { open, entries, figures, labels, toggle }
})

function load(): boolean {
  try {
    return (JSON.parse(localStorage.getItem(KEY) ?? '{}') as { open?: unknown }).open === true
  } catch {
    return false
  }
}
