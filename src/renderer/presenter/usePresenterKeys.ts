import { onBeforeUnmount, onMounted } from 'vue'
import { usePresenterStore } from '../stores/presenter.ts'

const isTyping = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable)

/** P toggles the presenter view (where typing goes to a field, the key is the field's). */
export function usePresenterKeys(): void {
  const presenter = usePresenterStore()
  const onKey = (e: KeyboardEvent) => {
    if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return
    if (e.key !== 'p' && e.key !== 'P') return
    presenter.toggle()
    e.preventDefault()
  }
  onMounted(() => window.addEventListener('keydown', onKey))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
}
