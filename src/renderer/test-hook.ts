import { drawnSnapshot } from './timeline/drawn.ts'

/**
 * `window.__sockscope.timeline()`: a copy of what the timeline canvas drew last (lanes,
 * phases, marks), so end-to-end tests can check the picture without reading pixels.
 * Read-only: it returns fresh copies and cannot be replaced.
 */
export function installTestHook(): void {
  const hook = Object.freeze({ timeline: () => drawnSnapshot() })
  Object.defineProperty(globalThis, '__sockscope', { value: hook, writable: false, configurable: false, enumerable: false })
}
