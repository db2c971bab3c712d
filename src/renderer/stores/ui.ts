import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import type { ThemeName } from '../timeline/palette.ts'

const KEY = 'sockscope.ui'

/** Look and layout preferences, kept in localStorage. */
export const useUiStore = defineStore('ui', () => {
  const saved = load()
  const prefersLight = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: light)').matches
  const theme = ref<ThemeName>(saved.theme ?? (prefersLight ? 'light' : 'dark'))
  const legend = ref<boolean>(saved.legend ?? true)

  watch(
    [theme, legend],
    () => {
      document.documentElement.dataset.theme = theme.value
      try {
        localStorage.setItem(KEY, JSON.stringify({ theme: theme.value, legend: legend.value }))
      } catch {}
    },
    { immediate: true },
  )

  const toggleTheme = () => (theme.value = theme.value === 'dark' ? 'light' : 'dark')
  const toggleLegend = () => (legend.value = !legend.value)
  return { theme, legend, toggleTheme, toggleLegend }
})

function load(): { theme?: ThemeName; legend?: boolean } {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as { theme?: unknown; legend?: unknown }
    return {
      theme: raw.theme === 'light' || raw.theme === 'dark' ? raw.theme : undefined,
      legend: typeof raw.legend === 'boolean' ? raw.legend : undefined,
    }
  } catch {
    return {}
  }
}
