import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { MAX_COMPARED, MIN_COMPARED } from '../../servers/compare/bounds.ts'
import { useLabStore } from './lab.ts'
import { usePlayheadStore } from './playhead.ts'
import { useRecordingStore } from './recording.ts'
import { useRunFigures } from './run-figures.ts'
import { useTimelineStore } from './timeline.ts'

/** The timeline's group of client workloads (timeline/layout.ts). */
const CLIENTS_GROUP = 'group:clients'

/** The compare form's choice; the first run's default is the example (seeds 000, 003, 001). */
export interface CompareChoice {
  models: string[]
  workload: string
  count: number
  delay: number
  lock: 'on' | 'off'
}

/**
 * The compare view's area: whether it is shown, the form, and the server runs of the
 * compare started here. What it shows is derived: the compared runs from the recording's
 * events (so a reopened recording of a compare shows the same), the figures from those
 * events at the playhead (model/compare/), with servers/compare/summary.ts's functions.
 */
export const useCompareStore = defineStore('compare', () => {
  const lab = useLabStore()
  const playhead = usePlayheadStore()
  const recording = useRecordingStore()
  const timeline = useTimelineStore()
  const open = ref(false)
  const choice = ref<CompareChoice>({ models: ['iterative', 'fork', 'thread', 'select'], workload: 'burst', count: 8, delay: 1, lock: 'off' })
  /** The server runs of the compare started in this page (live); null: every compared pair the events show. */
  const started = ref<string[] | null>(null)
  const starting = ref(false)

  const { entries, figures } = useRunFigures(() => (recording.mode === 'live' ? started.value : null))

  const choiceError = computed(() => {
    const n = choice.value.models.length
    if (n < MIN_COMPARED || n > MAX_COMPARED) return `pick ${MIN_COMPARED} to ${MAX_COMPARED} models (${n} picked)`
    if (!(choice.value.count >= 1 && Number.isInteger(choice.value.count))) return 'clients: a whole number from 1'
    if (!(choice.value.delay >= 0)) return 'delay: seconds, 0 or more'
    return null
  })

  function toggleModel(model: string): void {
    const models = choice.value.models
    choice.value.models = models.includes(model) ? models.filter((m) => m !== model) : [...models, model]
  }

  /** Start every model's server, then the same load against each at once (the lab's startCompare); the view follows it live. */
  async function start(): Promise<void> {
    if (choiceError.value || starting.value) return
    starting.value = true
    try {
      const { models, workload, count, delay, lock } = choice.value
      const result = await lab.startCompare({ models, workload, count, delay, lock })
      started.value = result.pairs.map((p) => p.server.id)
      open.value = true
      playhead.follow()
      // The servers' lanes are what the compare is about: the client workloads' group folds away.
      if (!timeline.collapsed.includes(CLIENTS_GROUP)) timeline.toggleGroup(CLIENTS_GROUP)
    } finally {
      starting.value = false
    }
  }

  const toggle = () => (open.value = !open.value)
  return { open, choice, started, starting, entries, figures, choiceError, toggleModel, start, toggle }
})
