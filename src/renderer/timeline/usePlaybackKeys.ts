import { onBeforeUnmount, onMounted } from 'vue'
import { usePlayheadStore } from '../stores/playhead.ts'
import { useTimelineStore } from '../stores/timeline.ts'

/** Where typing goes to a field, keys are the field's. */
const isTyping = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable)

/**
 * The replay's keys, as players have them: space plays and pauses; → / ← step to the next
 * or previous event (of the selected connection alone, when one is selected), ⇧→ / ⇧←
 * jump to the next or previous marker; ] and [ play faster and slower; M adds a marker at
 * the playhead; Home goes to the start, End to the edge (live: now).
 */
export function usePlaybackKeys(): void {
  const playhead = usePlayheadStore()
  const timeline = useTimelineStore()

  const onKey = (e: KeyboardEvent) => {
    if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return
    // A focused button would take the space as a click, too.
    if (e.key === ' ' && e.target instanceof HTMLButtonElement) e.target.blur()
    switch (e.key) {
      case ' ':
        playhead.togglePlay()
        break
      case 'ArrowRight':
        if (e.shiftKey) playhead.jumpToMarker(1)
        else playhead.step(1, timeline.selectedConn)
        break
      case 'ArrowLeft':
        if (e.shiftKey) playhead.jumpToMarker(-1)
        else playhead.step(-1, timeline.selectedConn)
        break
      case ']':
        playhead.faster(1)
        break
      case '[':
        playhead.faster(-1)
        break
      case 'm':
      case 'M':
        playhead.addMarker()
        break
      case 'Home':
        playhead.toStart()
        break
      case 'End':
        timeline.setFollowing(true)
        break
      default:
        return
    }
    e.preventDefault()
  }

  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
}
