import { defineStore } from 'pinia'
import { computed, markRaw, ref, watch } from 'vue'
import { checkpointText, type Language, LANGUAGES, lessonI18n, lessonTexts, seedText, uiText } from '../../servers/lessons/i18n.ts'
import { findLesson, lessons } from '../../servers/lessons/index.ts'
import type { Lesson } from '../../servers/lessons/lesson.ts'
import { evaluate } from '../../servers/lessons/lesson.ts'
import type { TraceLessonRun } from '../../servers/trace-lines.ts'
import type { LessonRun } from '../../servers/web/protocol.ts'
import { eventsUpTo } from '../model/at-time.ts'
import { latestRun, LessonEvents, lessonRunIds } from '../model/lesson-view.ts'
import { useCodeStore } from './code.ts'
import { useLabStore } from './lab.ts'
import { usePlayheadStore } from './playhead.ts'
import { useRecordingStore } from './recording.ts'
import { useTraceStore } from './trace.ts'

const KEY = 'sockscope.lessons'

/** A checkpoint as the panel shows it: its sentence with the figures measured up to the playhead. */
export interface ShownCheckpoint {
  id: string
  observed: boolean
  text: string
}

/**
 * The lessons panel's area: whether it shows, the lesson chosen, the language, and the
 * lesson runs the session (the lab's `lessons` messages) or the recording (its lesson
 * records) holds. The checkpoints are a function of (recording, playhead): the lesson's
 * own pure checks (servers/lessons) over its runs' events up to the playhead, so they
 * tick live as the events come, and untick when the playhead is taken back.
 */
export const useLessonStore = defineStore('lesson', () => {
  const lab = useLabStore()
  const trace = useTraceStore()
  const playhead = usePlayheadStore()
  const recording = useRecordingStore()
  const code = useCodeStore()
  const saved = load()
  const open = ref<boolean>(saved.open ?? false)
  const lessonId = ref<string | null>(saved.lesson ?? null)
  const language = ref<Language>(saved.language ?? 'en')
  const revealed = ref(false)
  const starting = ref(false)
  /** The live session's lesson runs (the lab keeps them: a reload has them again). */
  const liveRuns = ref<LessonRun[]>([])
  /** The lesson runs of the recording shown; Save trace writes them as they are (the live session's are the lab's to save). */
  const recordedRuns = ref<TraceLessonRun[]>([])

  watch([open, lessonId, language], () => {
    try {
      localStorage.setItem(KEY, JSON.stringify({ open: open.value, lesson: lessonId.value, language: language.value }))
    } catch {}
  })

  const i18n = computed(() => markRaw(lessonI18n(language.value)))
  const ui = (key: string, figures: Record<string, string | number> = {}) => uiText(i18n.value, key, figures)

  /** Every lesson, numbered, in the language chosen. */
  const list = computed(() =>
    lessons.map((l, i) => {
      const texts = lessonTexts(i18n.value, l)
      return { id: l.id, number: i + 1, title: texts.title, summary: texts.summary, seed: seedText(i18n.value, l) }
    }),
  )
  const lesson = computed<Lesson | null>(() => (lessonId.value ? (lessons.find((l) => l.id === lessonId.value) ?? null) : null))
  const texts = computed(() => (lesson.value ? { ...lessonTexts(i18n.value, lesson.value), seed: seedText(i18n.value, lesson.value) } : null))

  /** The run the panel follows: the latest of this lesson in what is shown. */
  const run = computed<LessonRun | TraceLessonRun | null>(() => {
    if (!lesson.value) return null
    return latestRun<LessonRun | TraceLessonRun>(recording.mode === 'live' ? liveRuns.value : recordedRuns.value, lesson.value.id)
  })
  const state = computed<'not-run' | LessonRun['state'] | 'recorded'>(() => {
    const r = run.value
    if (!r) return 'not-run'
    return 'state' in r ? r.state : 'recorded'
  })

  const decoder = new LessonEvents()
  const events = computed(() => {
    void trace.version
    void trace.epoch
    const r = run.value
    return markRaw(r ? decoder.update(trace.store, lessonRunIds(r.runs)) : [])
  })

  const checkpoints = computed<ShownCheckpoint[]>(() => {
    const l = lesson.value
    if (!l) return []
    const r = run.value
    const upTo = r ? eventsUpTo(events.value, playhead.shownAt ?? Number.POSITIVE_INFINITY) : []
    return evaluate(l, { events: upTo, runs: r?.runs ?? { servers: {}, clients: {} } }).map((c) => ({
      id: c.id,
      // Before a run there is nothing to have noticed, whatever a check makes of no events.
      observed: r !== null && c.observed,
      text: checkpointText(i18n.value, l, c.id, c.figures),
    }))
  })
  const ticked = computed(() => checkpoints.value.filter((c) => c.observed).length)

  /** Open a lesson (null: the list): its program goes into the code panel, which opens. */
  function choose(id: string | null): void {
    if (id !== null) findLesson(id)
    lessonId.value = id
    revealed.value = false
    if (id !== null) showProgram()
  }
  function showProgram(): void {
    if (!lesson.value) return
    code.show(lesson.value.program)
    code.open = true
  }

  /** Run the lesson on the lab, live: the view follows it. */
  async function start(): Promise<void> {
    const l = lesson.value
    if (!l || starting.value || recording.mode !== 'live') return
    starting.value = true
    try {
      revealed.value = false
      showProgram()
      playhead.follow()
      await lab.runLesson(l.id)
    } catch {
      // The lab store reports a refused request as a problem toast.
    } finally {
      starting.value = false
    }
  }

  function setLanguage(lng: string): void {
    if ((LANGUAGES as readonly string[]).includes(lng)) language.value = lng as Language
  }
  function toggle(): void {
    open.value = !open.value
    if (open.value) showProgram()
  }
  const setLiveRuns = (runs: LessonRun[]) => (liveRuns.value = runs)
  const setRecordedRuns = (runs: TraceLessonRun[]) => (recordedRuns.value = runs)

  if (open.value && lesson.value) showProgram()

  return {
    open, lessonId, language, revealed, starting, liveRuns, recordedRuns, list, lesson, texts, run, state, checkpoints, ticked,
    ui, choose, start, setLanguage, toggle, setLiveRuns, setRecordedRuns,
  }
})

function load(): { open?: boolean; lesson?: string; language?: Language } {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as { open?: unknown; lesson?: unknown; language?: unknown }
    return {
      open: typeof raw.open === 'boolean' ? raw.open : undefined,
      lesson: typeof raw.lesson === 'string' && lessons.some((l) => l.id === raw.lesson) ? raw.lesson : undefined,
      language: (LANGUAGES as readonly unknown[]).includes(raw.language) ? (raw.language as Language) : undefined,
    }
  } catch {
    return {}
  }
}
