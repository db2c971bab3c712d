import { defineStore } from 'pinia'
import { computed } from 'vue'
import { processRows } from '../model/process-table.ts'
import { useLabStore } from './lab.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/** The process table's area: rows derived from the event stream and the runs. */
export const useProcessesStore = defineStore('processes', () => {
  const lab = useLabStore()
  const trace = useTraceStore()
  const timeline = useTimelineStore()

  const rows = computed(() => {
    void trace.version
    return processRows({
      labPid: lab.labPid,
      host: lab.host,
      runs: lab.runs,
      processes: trace.model.processes(),
      threads: trace.model.threads(),
      connIndex: timeline.layout.connIndex,
    })
  })

  /** The OS sampler's column appears once any process has an OS view. */
  const hasOsView = computed(() => rows.value.some((r) => r.os !== null))
  const counts = computed(() => {
    const c = { running: 0, sleeping: 0, zombie: 0, reaped: 0, exited: 0 }
    for (const row of rows.value) if (row.kind !== 'thread' && row.kind !== 'lab') c[row.state]++
    return c
  })

  return { rows, hasOsView, counts }
})
