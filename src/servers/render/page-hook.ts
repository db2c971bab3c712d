/**
 * What the renderer's window hook (src/renderer/test-hook.ts) tells the video renderer, in one
 * place for both: the page answers it, `sockscope render` waits on it. No Node imports, so
 * the renderer's build can take it.
 */

/** What the page's `recording()` says: whether it shows opened files, whether they are still loading, and the span they cover (µs, store time). */
export interface RecordingState {
  mode: 'live' | 'recording'
  loading: boolean
  problems: string[]
  events: number
  start: number
  end: number
}
