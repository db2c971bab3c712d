import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ListeningProcessInfo } from '../../servers/web/protocol.ts'
import type { ApiError } from '../api/lab-client.ts'
import { listeningRows, parsePid } from '../model/observe.ts'
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

  function edit(text: string): void {
    pidText.value = text
    refusal.value = null
  }

  async function observe(pid?: number): Promise<void> {
    const target = pid ?? (parsed.value.ok ? parsed.value.pid : null)
    if (target === null) return
    if (pid !== undefined) pidText.value = String(pid)
    observing.value = true
    refusal.value = null
    try {
      await lab.observe(target)
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

  return { pidText, refusal, listing, listingBusy, observing, parsed, rows, edit, observe, refresh }
})
