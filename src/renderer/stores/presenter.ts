import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import { modelCaptionContext } from '../model/captions/context.ts'
import { type Caption, CaptionSchedule, type Note } from '../model/captions/schedule.ts'
import { presenterTitle, type PresenterTitle } from '../presenter/title.ts'
import { useLabStore } from './lab.ts'
import { usePlayheadStore } from './playhead.ts'
import { useRecordingStore } from './recording.ts'
import { useTimelineStore } from './timeline.ts'
import { useTraceStore } from './trace.ts'

/** The longest note kept: a caption is one sentence. */
export const NOTE_MAX_CHARS = 200

/**
 * The presenter's area: whether the presenter view is on, the user's notes (saved in the
 * trace file), and the caption at the playhead. The caption is a pure function of the
 * recording, the notes, the replay speed and the playhead (model/captions/), so a frame
 * rendered at a playhead shows what the replay showed there.
 */
export const usePresenterStore = defineStore('presenter', () => {
  const trace = useTraceStore()
  const timeline = useTimelineStore()
  const playhead = usePlayheadStore()
  const recording = useRecordingStore()
  const lab = useLabStore()
  const on = ref(false)
  /** A video is being made of the page (sockscope render): controls that need a pointer are left out of the picture. */
  const filming = ref(false)
  const notes = ref<Note[]>([])

  let context = { version: -1, ctx: null as ReturnType<typeof modelCaptionContext> | null }
  const schedule = markRaw(
    new CaptionSchedule(trace.store, () => {
      if (context.version !== trace.model.version || !context.ctx)
        context = { version: trace.model.version, ctx: modelCaptionContext(trace.model, timeline.layout.connIndex, timeline.runs) }
      return context.ctx!
    }),
  )

  /** The caption at `t` (default: the playhead). */
  function captionAt(t = playhead.at()): Caption | null {
    schedule.configure(playhead.speed, notes.value)
    return schedule.at(t)
  }

  /** The caption on screen: recomputed as the playhead moves or events arrive. */
  const caption = shallowRef<Caption | null>(null)
  const refresh = () => (caption.value = on.value ? captionAt() : null)
  watch([on, () => playhead.moved, () => trace.version, () => playhead.speed, notes, () => playhead.following], refresh, { immediate: true })
  // While following a live run the playhead moves without `moved`: read it a few times a second.
  let timer: ReturnType<typeof setInterval> | null = null
  watch(
    () => on.value && playhead.following && timeline.isLive(),
    (live) => {
      if (timer) clearInterval(timer)
      timer = live ? setInterval(refresh, 250) : null
    },
    { immediate: true },
  )

  const title = computed<PresenterTitle>(() => presenterTitle(timeline.runs, recording.files))

  function setOn(value: boolean): void {
    on.value = value
  }

  /** A note at `t` (default: the playhead); empty text adds nothing. */
  function addNote(text: string, t = playhead.at()): void {
    const clean = text.trim().replace(/\s+/g, ' ').slice(0, NOTE_MAX_CHARS)
    if (!clean || !Number.isFinite(t)) return
    notes.value = [...notes.value, { t, text: clean }].sort((a, b) => a.t - b.t)
    keepInSession()
  }

  function removeNote(note: Note): void {
    notes.value = notes.value.filter((n) => n !== note)
    keepInSession()
  }

  /** A live session's notes are the lab's: it keeps them for a reload, other pages and Save trace (it answers with them to every page). */
  function keepInSession(): void {
    if (recording.mode === 'live') void lab.setNotes(notes.value.map(({ t, text }) => ({ t, text }))).catch(() => {})
  }

  /** The notes of a recording just opened (its files' note records), or the live session's (the host's). */
  function setNotes(list: readonly Note[]): void {
    notes.value = [...list].sort((a, b) => a.t - b.t)
  }

  // Each note is a marker on the timeline's axis too (⇧→ jumps to it), beside the user's own.
  const NOTE_LABEL = 'note · '
  watch(notes, (list) => {
    const own = playhead.userMarkers.filter((m) => !m.label.startsWith(NOTE_LABEL))
    playhead.userMarkers = [...own, ...list.map((n) => ({ t: n.t, kind: 'user' as const, label: NOTE_LABEL + n.text, seq: null }))]
  })

  // A clear or another recording: the old notes belong to the old events.
  watch(
    () => trace.epoch,
    () => {
      notes.value = []
      schedule.restart()
    },
    { flush: 'sync' },
  )

  return { on, filming, notes, caption, title, captionAt, setOn, toggle: () => setOn(!on.value), addNote, removeNote, setNotes }
})
