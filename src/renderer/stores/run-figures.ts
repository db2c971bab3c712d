import { computed, markRaw, type ComputedRef } from 'vue'
import { type CompareFigures, compareFigures } from '../model/compare/charts.ts'
import { type CompareEntry, compareEntries, compareEvents } from '../model/compare/pairs.ts'
import { usePlayheadStore } from './playhead.ts'
import { useTraceStore } from './trace.ts'

export interface RunFigures {
  entries: ComputedRef<CompareEntry[]>
  figures: ComputedRef<CompareFigures | null>
}

/**
 * The figures shared by the compare view and the main view's charts, at the playhead: the
 * recording's server runs that clients connected to (`only`: just these runs; null: every
 * one), their events, and the figures over them (model/compare/). `active` false keeps
 * the work undone while nothing shows them.
 */
export function useRunFigures(only: () => readonly string[] | null, active: () => boolean = () => true): RunFigures {
  const trace = useTraceStore()
  const playhead = usePlayheadStore()
  const entries = computed(() => {
    void trace.version
    void trace.epoch
    return active() ? compareEntries(trace.model.servers(), trace.model.connections(), only()) : []
  })
  const events = computed(() => {
    void trace.version
    return markRaw(entries.value.length ? compareEvents(trace.store, entries.value) : [])
  })
  const figures = computed(() => (entries.value.length ? compareFigures(events.value, entries.value, playhead.shownAt ?? Number.POSITIVE_INFINITY) : null))
  return { entries, figures }
}
