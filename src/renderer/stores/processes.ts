import { defineStore } from 'pinia'
import { computed } from 'vue'
import { modelledZombieNote, observedGroups, processRows, shownObserved } from '../model/process-table.ts'
import { useLabStore } from './lab.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/**
 * The process table's area: rows derived from the event stream and the runs, the OS's
 * view beside them, and the observed runs' trees (from the OS alone).
 */
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
      os: trace.model.os,
    })
  })

  // Observed runs while they run, and ended ones until the timeline is cleared.
  const observed = computed(() => {
    void trace.version
    return observedGroups(shownObserved(lab.runs, trace.origin()), trace.model.os)
  })

  /** The OS column group appears once the sampler has reported any process. */
  const hasOsView = computed(() => {
    void trace.version
    return trace.model.os.size > 0 || observed.value.length > 0
  })
  const counts = computed(() => {
    const c = { running: 0, sleeping: 0, zombie: 0, reaped: 0, exited: 0 }
    for (const row of rows.value) if (row.kind !== 'thread' && row.kind !== 'lab') c[row.state]++
    for (const group of observed.value) for (const row of group.rows) c[row.state]++
    return c
  })
  /** Rows where the model's view and the OS's differ. */
  const differences = computed(() => rows.value.filter((r) => r.osDiff !== null).length)

  const note = computed(() => modelledZombieNote(rows.value))

  return { rows, observed, hasOsView, counts, differences, note }
})
