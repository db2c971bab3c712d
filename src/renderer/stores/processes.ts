import { defineStore } from 'pinia'
import { computed, markRaw, shallowRef, watch } from 'vue'
import { acceptQueueAt, OsHistory, processWithThreadsAt, runAt, StateHistory, threadAt } from '../model/at-time.ts'
import { modelledZombieNote, observedGroups, processRows, shownObserved } from '../model/process-table.ts'
import { useLabStore } from './lab.ts'
import { usePlayheadStore } from './playhead.ts'
import { useRecordingStore } from './recording.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/**
 * The process table's area: rows derived from the event stream and the runs, the OS's
 * view beside them, and the observed runs' trees (from the OS alone); all as they stood
 * at the playhead (the latest, while it follows).
 */
export const useProcessesStore = defineStore('processes', () => {
  const lab = useLabStore()
  const trace = useTraceStore()
  const timeline = useTimelineStore()
  const playhead = usePlayheadStore()
  const recording = useRecordingStore()
  const osHistory = shallowRef(markRaw(new OsHistory(trace.store)))
  const stateHistory = shallowRef(markRaw(new StateHistory(trace.store)))
  watch(
    () => trace.epoch,
    () => {
      osHistory.value = markRaw(new OsHistory(trace.store))
      stateHistory.value = markRaw(new StateHistory(trace.store))
    },
    { flush: 'sync' },
  )

  /** The runs, the OS's view, the processes and threads, at the playhead. */
  const scene = computed(() => {
    void trace.version
    const at = playhead.shownAt
    const processes = trace.model.processes()
    const threads = trace.model.threads()
    const runs = timeline.runs
    if (at === null) return { runs, os: trace.model.os, processes, threads }
    const threadsByPid = Map.groupBy(threads, (th) => th.pid)
    return {
      runs: runs.flatMap((r) => runAt(r, at) ?? []),
      os: osHistory.value.at(at),
      processes: processes.flatMap((p) => processWithThreadsAt(p, at, threadsByPid.get(p.pid) ?? []) ?? []),
      threads: threads.flatMap((th) => threadAt(th, at) ?? []),
    }
  })

  const rows = computed(() => {
    const { runs, os, processes, threads } = scene.value
    // A recording has no lab: its processes' parent is not this page's host.
    const labPid = recording.mode === 'live' ? lab.labPid : null
    return processRows({ labPid, host: lab.host, runs, processes, threads, connIndex: timeline.layout.connIndex, os })
  })

  // Observed runs while they run, and ended ones until the timeline is cleared.
  const observed = computed(() => {
    const { runs, os } = scene.value
    return observedGroups(shownObserved(runs, trace.origin()), os)
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

  /** At the playhead: how many wait in each server's accept queue, and the apps' shared values (the bank's balance). */
  const acceptQueue = computed(() => {
    void trace.version
    return acceptQueueAt(trace.model.connections(), playhead.shownAt ?? Number.POSITIVE_INFINITY)
  })
  const shared = computed(() => {
    void trace.version
    return stateHistory.value.at(playhead.shownAt ?? Number.POSITIVE_INFINITY)
  })

  return { rows, observed, hasOsView, counts, differences, note, acceptQueue, shared }
})
