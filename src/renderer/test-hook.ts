import { nextTick } from 'vue'
import { usePlayheadStore } from './stores/playhead.ts'
import { useRecordingStore } from './stores/recording.ts'
import { useTimelineStore } from './stores/timeline.ts'
import { usePresenterStore } from './stores/presenter.ts'
import { useTraceStore } from './stores/trace.ts'
import { drawnProbe, drawnSnapshot, lastFrame } from './timeline/drawn.ts'
import type { RecordingState } from '../servers/render/page-hook.ts'


/**
 * `window.__sockscope`, for tests and scripts:
 *  - `timeline()`: a copy of what the timeline canvas drew last (lanes, phases, marks),
 *    so end-to-end tests can check the picture without reading pixels;
 *  - `seek(us)`: move the playhead (µs since the recording's zero, as events' `t`);
 *  - `playhead()`: where it is;
 *  - `frameAt(us)`: seek, and resolve (with the playhead, clamped) once every panel shows
 *    that instant and the canvas has drawn it: what `sockscope render` waits on before
 *    taking each frame, so that no frame is half-drawn and none needs a fixed sleep;
 *  - `setView(start, end)`: the timeline's window (µs), as a pan or zoom would leave it;
 *  - `recording()`: see RecordingState;
 *  - `presenter(on?)`: turn the presenter view on or off (no argument: leave it), and say whether it is on;
 *  - `filming(on?)`: a video is being made of the page: the presenter view's buttons (+ Note,
 *    Exit presenter) are left out of the picture; say whether it is so;
 *  - `speed(x?)`: set the replay speed (0.1–16; captions hold 2.2 s of screen time at it), and read it;
 *  - `caption()`: the caption at the playhead (its text, kind, priority, when it began), or null;
 *  - `note(text, us?)`: add a note at `us` (default: the playhead), as the caption bar's + Note does;
 *  - `probe()`: a cheap look at the last frame (no phases) and how many events the store holds,
 *    for benchmarks that poll under load.
 * It cannot be replaced; what it returns are copies.
 */
export function installTestHook(): void {
  const hook = Object.freeze({
    timeline: () => drawnSnapshot(),
    seek: (us: number) => usePlayheadStore().seek(Number(us)),
    playhead: () => usePlayheadStore().at(),
    frameAt: (us: number) => frameAt(Number(us)),
    setView: (start: number, end: number) => {
      if (Number.isFinite(start) && Number.isFinite(end) && end > start) useTimelineStore().setView({ start: Number(start), end: Number(end) })
    },
    recording: (): RecordingState => {
      const recording = useRecordingStore()
      const trace = useTraceStore()
      const playhead = usePlayheadStore()
      return {
        mode: recording.mode,
        loading: recording.progress !== null || trace.loading,
        problems: [...recording.problems],
        events: trace.store.size,
        start: trace.origin(),
        end: playhead.edge(),
      }
    },
    presenter: (on?: boolean) => {
      const presenter = usePresenterStore()
      if (typeof on === 'boolean') presenter.setOn(on)
      return presenter.on
    },
    filming: (on?: boolean) => {
      const presenter = usePresenterStore()
      if (typeof on === 'boolean') presenter.filming = on
      return presenter.filming
    },
    speed: (x?: number) => {
      const playhead = usePlayheadStore()
      if (x !== undefined) playhead.setSpeed(Number(x))
      return playhead.speed
    },
    caption: () => {
      const c = usePresenterStore().captionAt()
      return c && { ...c }
    },
    note: (text: string, us?: number) => usePresenterStore().addNote(String(text), us === undefined ? undefined : Number(us)),
    probe: () => {
      const frame = drawnProbe()
      return frame && { ...frame, events: useTraceStore().store.size }
    },
  })
  Object.defineProperty(globalThis, '__sockscope', { value: hook, writable: false, configurable: false, enumerable: false })
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve))

async function frameAt(us: number): Promise<number> {
  await document.fonts?.ready
  const playhead = usePlayheadStore()
  const before = lastFrame().frames
  playhead.seek(us)
  const target = playhead.at()
  // Vue's panels update on the next tick; the canvas draws in the animation frame after it.
  await nextTick()
  // A timeline that is not on screen draws nothing: say so rather than wait for ever.
  for (let i = 0; i < 600; i++) {
    await nextFrame()
    const drawn = lastFrame()
    if (drawn.frames > before && drawn.playhead === target) return target
  }
  throw new Error(`the timeline drew no frame at ${target} µs in 600 animation frames`)
}
