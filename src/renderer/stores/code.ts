import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { findProgram, modelProgram } from '../../servers/programs/index.ts'
import { type CodeMarker, type LineHit, lineHits, markersAt } from '../../servers/programs/markers.ts'
import { type Program, resolveProgram } from '../../servers/programs/program.ts'
import { ServerEvents } from '../code/server-events.ts'
import { readBundledFile } from '../code/sources.ts'
import { usePlayheadStore } from './playhead.ts'
import { useTraceStore } from './trace.ts'

const KEY = 'sockscope.code'

/**
 * The code panel's area: whether it shows, which program (a lesson sets its Python with
 * `show(id)`; otherwise the running model's own TypeScript), the markers at the playhead
 * and the line picked with the events it produced.
 */
export const useCodeStore = defineStore('code', () => {
  const trace = useTraceStore()
  const playhead = usePlayheadStore()
  const open = ref<boolean>(loadOpen())
  /** The program asked for (a lesson's); null: the running model's own. */
  const codeProgramId = ref<string | null>(null)
  const selectedLine = ref<number | null>(null)

  watch(open, () => {
    try {
      localStorage.setItem(KEY, JSON.stringify({ open: open.value }))
    } catch {}
  })

  const events = new ServerEvents()
  const serverEvents = computed(() => {
    void trace.version
    void trace.epoch
    return events.update(trace.store)
  })
  /**
   * The model the first server of the events runs (its listen event): from the track
   * model's servers, not the decoded events, which are decoded only while the panel shows
   * (a million-event recording's server side is half a million objects).
   */
  const model = computed<string | null>(() => {
    void trace.version
    void trace.epoch
    return trace.model.servers()[0]?.model ?? null
  })

  const resolved = new Map<string, Program>()
  const program = computed<Program | null>(() => {
    const def = codeProgramId.value ? findProgram(codeProgramId.value) : model.value ? modelProgram(model.value) : modelProgram('fork')
    if (!def) return null
    let p = resolved.get(def.id)
    if (!p) resolved.set(def.id, (p = resolveProgram(def, readBundledFile)))
    return p
  })

  /** One per process, thread, loop or task alive at the playhead (live: at the newest event). */
  const markers = computed<CodeMarker[]>(() => {
    void playhead.moved
    void trace.version
    const p = program.value
    if (!p || !open.value) return []
    return markersAt(p, serverEvents.value, playhead.at())
  })

  /** The events the selected line produced (the timeline rings them). */
  const lineEvents = computed<LineHit[]>(() => {
    // Read nothing else while no line is picked: the timeline asks on every frame.
    if (selectedLine.value === null || !open.value) return []
    const p = program.value
    if (!p) return []
    return lineHits(p, serverEvents.value, selectedLine.value)
  })

  function show(id: string | null): void {
    if (id !== null) findProgram(id)
    codeProgramId.value = id
    selectedLine.value = null
  }
  function selectLine(line: number | null): void {
    selectedLine.value = selectedLine.value === line ? null : line
  }
  const toggle = () => (open.value = !open.value)

  watch(program, () => (selectedLine.value = null))
  watch(
    () => trace.epoch,
    () => (selectedLine.value = null),
  )

  return { open, codeProgramId, selectedLine, program, model, markers, lineEvents, serverEvents, show, selectLine, toggle }
})

function loadOpen(): boolean {
  try {
    return (JSON.parse(localStorage.getItem(KEY) ?? '{}') as { open?: unknown }).open === true
  } catch {
    return false
  }
}
