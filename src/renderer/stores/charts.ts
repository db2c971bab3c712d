import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { useRunFigures } from './run-figures.ts'

const KEY = 'sockscope.charts'

/**
 * The main view's charts (in place of the event log): connections in service and
 * accept-queue depth over time, and latency per client, for each server of the recording
 * that clients connected to (the first four), at the playhead. The same figures as the
 * compare view's (model/compare/), over every server rather than a compare's own, and
 * computed only while the charts show.
 */
export const useChartsStore = defineStore('charts', () => {
  const open = ref<boolean>(load())
  watch(open, () => {
    try {
      localStorage.setItem(KEY, JSON.stringify({ open: open.value }))
    } catch {}
  })

  const { entries, figures } = useRunFigures(
    () => null,
    () => open.value,
  )
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
