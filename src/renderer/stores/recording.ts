import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { OpenedFile } from '../recording/messages.ts'
import { markOpenEnd, markOpenPhase, markOpenStart } from '../recording/open-marks.ts'
import { openInWorker } from '../recording/open.ts'
import { type RecentFile, recentFiles } from '../recording/recents.ts'
import { download, recordingToTrace, savedName } from '../recording/save.ts'
import { fileNotes, recordingSummary } from '../recording/summary.ts'
import { useLabStore } from './lab.ts'
import { usePresenterStore } from './presenter.ts'
import { useLessonStore } from './lesson.ts'
import { useTraceStore } from './trace.ts'

export type Mode = 'live' | 'recording'

/** The share of an open's progress bar that reading the files takes (the rest: loading the events). */
const READ_SHARE = 0.8

/**
 * The recording's area: whether the screen shows the live lab or recorded trace files,
 * which files, how far their reading is, and what was wrong with them. Opening reads the
 * files in a worker (recording/open.ts) and loads the events into the trace store, the
 * one place events are kept; while a recording is shown, the live lab's batches are kept
 * out of it (api/wiring.ts), and going back to live has the lab send its history again.
 */
export const useRecordingStore = defineStore('recording', () => {
  const trace = useTraceStore()
  const lab = useLabStore()
  const mode = ref<Mode>('live')
  const files = ref<OpenedFile[]>([])
  /** Bytes read of the files being opened (0..1), null when nothing is being opened. */
  const progress = ref<number | null>(null)
  /** The names of the files being opened. */
  const opening = ref<string[]>([])
  /** Why files could not be opened: one message per file, naming it and the line. */
  const problems = ref<string[]>([])
  const recents = ref<RecentFile[]>([])
  /** What the last open cost: the worker's reading and checking, and the whole open up to the last event in the trace store (ms). */
  const lastOpen = ref<{ events: number; bytes: number; readMs: number; totalMs: number } | null>(null)
  let current: AbortController | null = null
  const recentStore = shallowRef(recentFiles(lab.host))

  const summary = computed(() => recordingSummary(files.value))
  /** What the files held that the person should know (a torn last line, skipped kinds…). */
  const notes = computed(() => files.value.flatMap(fileNotes))
  /** The recording's zero: the earliest originNs of its first group (what a saved trace's header says). */
  const zeroNs = computed(() => files.value.find((f) => f.group === 0)?.zeroNs ?? null)
  /** Whether Save trace can save the live session: once the lab is there to write it. */
  const canSaveLive = computed(() => lab.status === 'open' && lab.host !== null)

  /** Open trace files: on success the screen shows them (mode 'recording'); files that cannot be read are named in `problems`. */
  async function open(list: readonly File[]): Promise<void> {
    if (list.length === 0) return
    current?.abort()
    const ctrl = new AbortController()
    current = ctrl
    problems.value = []
    progress.value = 0
    opening.value = list.map((f) => f.name)
    let opened: OpenedFile[] = []
    let readMs = 0
    const started = performance.now()
    // Marks for the browser's performance panel (and the bench): where an open spends its time.
    markOpenStart()
    try {
      const events = await openInWorker(
        list.map((f) => ({ name: f.name, blob: f })),
        {
          // Reading is most of the work; loading into the store the rest.
          // (In whole percents: the bar and its figure change a hundred times in all, not at every message.)
          progress: (p) => {
            if (current === ctrl) progress.value = Math.floor(p * READ_SHARE * 100) / 100
          },
          files: (read, bad, ms) => {
            problems.value = bad
            opened = read
            readMs = ms
            markOpenPhase('read')
            if (read.length === 0) return
            // From here the trace store holds the recording: the live batches stay out.
            mode.value = 'recording'
            files.value = read
            trace.reset(0)
            trace.setLoading(true)
          },
          store: (snapshot) => {
            markOpenPhase('store')
            trace.adopt(snapshot)
            markOpenPhase('routed')
          },
        },
        ctrl.signal,
      )
      markOpenPhase('loaded')
      if (!opened.length) markOpenEnd()
      if (opened.length) {
        // (Set once the events are in: the reset that made room for them forgets the old notes.)
        usePresenterStore().setNotes(opened.flatMap((f) => f.notes ?? []))
        useLessonStore().setRecordedRuns(opened.flatMap((f) => f.lessons ?? []))
        lastOpen.value = { events, bytes: opened.reduce((n, f) => n + f.bytes, 0), readMs, totalMs: performance.now() - started }
        void remember(list.filter((f) => opened.some((o) => o.name === f.name)))
      }
    } catch (err) {
      markOpenEnd()
      if ((err as Error).name === 'AbortError') return
      problems.value = [...problems.value, (err as Error).message]
    } finally {
      trace.setLoading(false)
      if (current === ctrl) {
        current = null
        progress.value = null
        opening.value = []
      }
    }
  }

  /** Back to the live lab: the recording is forgotten, and the lab sends its history again (see api/wiring.ts). */
  function closeRecording(): void {
    current?.abort()
    current = null
    progress.value = null
    opening.value = []
    if (mode.value === 'live') return
    files.value = []
    problems.value = []
    useLessonStore().setRecordedRuns([])
    trace.reset(0)
    mode.value = 'live'
  }

  function dismissProblems(): void {
    problems.value = []
  }

  /** Save trace: the recording as one NDJSON trace (a download), or the live session through the lab's host. */
  async function save(): Promise<void> {
    const notes = usePresenterStore().notes
    if (mode.value === 'recording') {
      download(recordingToTrace(trace.store, zeroNs.value ?? '0', undefined, { notes, lessons: useLessonStore().recordedRuns }), savedName(files.value.map((f) => f.name)))
      return
    }
    // The host writes the live session, its notes with it (the page gave them to the lab as they were made).
    await lab.saveTrace()
  }

  async function refreshRecents(): Promise<void> {
    recents.value = (await recentStore.value?.list().catch(() => [])) ?? []
  }

  async function remember(list: readonly File[]): Promise<void> {
    await recentStore.value?.remember(list).catch(() => {})
    await refreshRecents()
  }

  async function openRecent(id: string): Promise<void> {
    const file = await recentStore.value?.open(id)
    if (file) await open([file])
    else {
      problems.value = ['that recent file is no longer kept']
      await refreshRecents()
    }
  }

  // The host decides web or Electron in its hello: recents are kept (IndexedDB) in web mode only.
  watch(
    () => lab.host,
    (kind) => {
      recentStore.value = recentFiles(kind)
      void refreshRecents()
    },
    { immediate: true },
  )

  // Files the host was given (`sockscope web FILE...`, File › Open in Electron): opened when it asks.
  let handledSerial: number | null = null
  watch(
    () => lab.openRequest,
    async (request) => {
      if (!request || request.serial === handledSerial) return
      handledSerial = request.serial
      try {
        const fetched = await Promise.all(
          request.indices.map(async (index) => {
            const info = lab.recordings.find((r) => r.index === index)
            return new File([await lab.fetchRecording(index)], info?.name ?? `recording-${index}.ndjson`)
          }),
        )
        await open(fetched)
      } catch (err) {
        // (The lab store has reported the failed fetch as a problem too.)
        problems.value = [`cannot fetch the files the host was given: ${(err as Error).message}`]
      }
    },
    { immediate: true },
  )

  return {
    mode, files, progress, opening, problems, recents, lastOpen, summary, notes, zeroNs, canSaveLive,
    open, closeRecording, dismissProblems, save, openRecent, refreshRecents,
  }
})
