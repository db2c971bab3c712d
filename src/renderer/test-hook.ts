import { usePlayheadStore } from './stores/playhead.ts'
import { useTraceStore } from './stores/trace.ts'
import { drawnProbe, drawnSnapshot } from './timeline/drawn.ts'

/**
 * `window.__sockscope`, for tests and scripts:
 *  - `timeline()`: a copy of what the timeline canvas drew last (lanes, phases, marks),
 *    so end-to-end tests can check the picture without reading pixels;
 *  - `seek(us)`: move the playhead (µs since the recording's zero, as events' `t`);
 *  - `playhead()`: where it is;
 *  - `probe()`: a cheap look at the last frame (no phases) and how many events the store holds,
 *    for benchmarks that poll under load.
 * It cannot be replaced; what it returns are copies.
 */
export function installTestHook(): void {
  const hook = Object.freeze({
    timeline: () => drawnSnapshot(),
    seek: (us: number) => usePlayheadStore().seek(Number(us)),
    playhead: () => usePlayheadStore().at(),
    probe: () => {
      const frame = drawnProbe()
      return frame && { ...frame, events: useTraceStore().store.size }
    },
  })
  Object.defineProperty(globalThis, '__sockscope', { value: hook, writable: false, configurable: false, enumerable: false })
}
