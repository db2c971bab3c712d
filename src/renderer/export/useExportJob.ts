import { computed, ref, shallowRef } from 'vue'
import type { ExportAsk } from '../../servers/render/export-ask.ts'
import type { ExportLine } from '../../servers/web/protocol.ts'
import { recordingToTrace } from '../recording/save.ts'
import { useLabStore } from '../stores/lab.ts'
import { usePresenterStore } from '../stores/presenter.ts'
import { useRecordingStore } from '../stores/recording.ts'
import { useTraceStore } from '../stores/trace.ts'
import { downloadExport, ExportError, type ExportOutcome, requestExport } from './export-client.ts'
import { etaSeconds } from './export-form.ts'

export type JobState = 'idle' | 'running' | 'done' | 'failed'

/**
 * One export at a time, as the dialog and the menu show it: what it is doing (opening the
 * recording, frames done of total with a rate and an ETA, encoding), then the file
 * downloaded, or the host's coded error. The recording sent is the one on screen, notes
 * included, as Save trace writes it.
 */
export function useExportJob() {
  const lab = useLabStore()
  const trace = useTraceStore()
  const recording = useRecordingStore()
  const presenter = usePresenterStore()
  const state = ref<JobState>('idle')
  const phase = ref<'sending' | 'opening' | 'frames' | 'encoding'>('sending')
  const done = ref(0)
  const total = ref(0)
  const eta = ref<number | null>(null)
  const rate = ref<number | null>(null)
  const error = shallowRef<{ code: string; message: string } | null>(null)
  const outcome = shallowRef<ExportOutcome | null>(null)
  let controller: AbortController | null = null
  let firstFrameAt = 0

  const baseName = () => recording.files[0]?.name ?? 'sockscope'

  function onLine(line: ExportLine): void {
    if (line.type === 'phase') phase.value = line.phase
    if (line.type !== 'progress') return
    const now = performance.now()
    if (line.done <= 1 || firstFrameAt === 0) firstFrameAt = now
    done.value = line.done
    total.value = line.total
    eta.value = etaSeconds(line.done, line.total, now - firstFrameAt)
    rate.value = line.done > 1 && now > firstFrameAt ? (line.done - 1) / ((now - firstFrameAt) / 1000) : null
  }

  async function run(ask: ExportAsk): Promise<ExportOutcome | null> {
    if (state.value === 'running') return null
    controller = new AbortController()
    state.value = 'running'
    phase.value = 'sending'
    done.value = total.value = 0
    eta.value = rate.value = null
    error.value = null
    outcome.value = null
    firstFrameAt = 0
    try {
      const zero = recording.mode === 'recording' ? (recording.zeroNs ?? '0') : '0'
      const file = recordingToTrace(trace.store, zero, undefined, { notes: presenter.notes })
      const result = await requestExport({ resourceUrl: (path) => lab.resourceUrl(path) }, ask, file, baseName(), onLine, controller.signal)
      if (!result) {
        state.value = 'idle'
        return null
      }
      outcome.value = result
      state.value = 'done'
      downloadExport(result)
      return result
    } catch (err) {
      const e = err instanceof ExportError ? err : new ExportError('RENDER_FAILED', (err as Error).message)
      if (e.code === 'CANCELLED') {
        state.value = 'idle'
        return null
      }
      error.value = { code: e.code, message: e.message }
      state.value = 'failed'
      return null
    } finally {
      controller = null
    }
  }

  function cancel(): void {
    controller?.abort()
  }

  const running = computed(() => state.value === 'running')
  return { state, phase, done, total, eta, rate, error, outcome, running, run, cancel }
}
