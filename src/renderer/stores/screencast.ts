import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

const KEY = 'sockscope.screencast'

/**
 * Screencast aids: whether key presses and clicks are shown on screen (K), for a viewer
 * of a recorded screen to see what was pressed. Off by default; kept in localStorage. A
 * video rendered by `sockscope render` or Export video… is drawn at virtual time with no
 * input, so none appears in it.
 */
export const useScreencastStore = defineStore('screencast', () => {
  const indicators = ref(load())
  watch(indicators, (on) => {
    try {
      localStorage.setItem(KEY, JSON.stringify({ indicators: on }))
    } catch {}
  })
  const toggleIndicators = () => (indicators.value = !indicators.value)
  return { indicators, toggleIndicators }
})

function load(): boolean {
  try {
    return (JSON.parse(localStorage.getItem(KEY) ?? '{}') as { indicators?: unknown }).indicators === true
  } catch {
    return false
  }
}
