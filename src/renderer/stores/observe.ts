import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ListeningProcessInfo } from '../../servers/web/protocol.ts'
import type { ApiError } from '../api/lab-client.ts'
import { listeningRows, observedBy, parsePid } from '../model/observe.ts'
import { useLabStore } from './lab.ts'

/**
 * The "Observe a process" area of the control panel: a PID to observe, and the processes
 * that listen on a TCP port, to pick one from.
 */
export const useObserveStore = defineStore('observe', () => {
  const lab = useLabStore()
  const pidText = ref('')
  /** The lab's answer to the last attempt, when it refused (no such process, a thread id…). */
  const refusal = ref<{ code: string; message: string } | null>(null)
  const listing = shallowRef<ListeningProcessInfo[] | null>(null)
  const listingBusy = ref(false)
  const observing = ref(false)

  const parsed = computed(() => parsePid(pidText.value))
  const rows = computed(() => (listing.value ? listeningRows(listing.value, lab.runs, lab.labPid) : []))
  /** The run that already observes the PID in the field, if one does: nothing to do then. */
  const already = computed(() => (parsed.value.ok ? observedBy(lab.runs, parsed.value.pid) : null))
  const canObserve = computed(() => parsed.value.ok && !already.value && !observing.value && lab.status === 'open')

  function edit(text: string): void {
    pidText.value = text
    refusal.value = null
  }

  /**
   * Observe `pid` (a pick from the list) or the PID in the field. Once it is observed the
   * field is done with: it empties, so Observe is not offered again for the same process.
   * A refusal is shown beside the field (and, as every refusal, as a toast).
   */
  async function observe(pid?: number): Promise<void> {
    const target = pid ?? (parsed.value.ok ? parsed.value.pid : null)
    if (target === null || observedBy(lab.runs, target)) return
    if (pid !== undefined) pidText.value = String(pid)
    observing.value = true
    refusal.value = null
    try {
      await lab.observe(target)
      if (pidText.value.trim() === String(target)) pidText.value = ''
    } catch (err) {
      const e = err as ApiError
      refusal.value = { code: e.code ?? 'INTERNAL', message: e.message }
    } finally {
      observing.value = false
    }
  }

  async function refresh(): Promise<void> {
    listingBusy.value = true
    try {
      listing.value = await lab.listListening()
    } catch {
      // Reported as a toast by the lab store.
    } finally {
      listingBusy.value = false
    }
  }

  return { pidText, refusal, listing, listingBusy, observing, parsed, rows, already, canObserve, edit, observe, refresh }
})
