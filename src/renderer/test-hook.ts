import { usePlayheadStore } from './stores/playhead.ts'
import { drawnSnapshot } from './timeline/drawn.ts'

/**
 * `window.__sockscope`, for tests and scripts:
 *  - `timeline()`: a copy of what the timeline canvas drew last (lanes, phases, marks),
 *    so end-to-end tests can check the picture without reading pixels;
 *  - `seek(us)`: move the playhead (µs since the recording's zero, as events' `t`);
 *  - `playhead()`: where it is.
 * It cannot be replaced; what it returns are copies.
 */
export function installTestHook(): void {
  const hook = Object.freeze({
    timeline: () => drawnSnapshot(),
    seek: (us: number) => usePlayheadStore().seek(Number(us)),
    playhead: () => usePlayheadStore().at(),
  })
  Object.defineProperty(globalThis, '__sockscope', { value: hook, writable: false, configurable: false, enumerable: false })
}
