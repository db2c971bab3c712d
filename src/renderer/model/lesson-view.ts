import type { SockscopeEvent } from '../../servers/events.ts'
import type { LessonRuns } from '../../servers/lessons/lesson.ts'
import type { TraceLessonRun } from '../../servers/trace-lines.ts'
import type { EventStore } from './event-store.ts'

/** The run ids a lesson run's servers and workloads got, as one set. */
export function lessonRunIds(runs: LessonRuns): string[] {
  return [...Object.values(runs.servers), ...Object.values(runs.clients)]
}

/** The latest run of `lesson` among the session's or the recording's (null: it was never run there). */
export function latestRun<R extends TraceLessonRun>(runs: readonly R[], lesson: string): R | null {
  let latest: R | null = null
  for (const run of runs) if (run.lesson === lesson && (!latest || run.t >= latest.t)) latest = run
  return latest
}

/**
 * The events of a lesson run's own runs, as objects in the store's time order, for its
 * checkpoints (pure functions over SockscopeEvent[]). The run filter reads the store's
 * columns only, and each event is decoded once (kept by seq): a lesson is a few thousand
 * events, C10k's some tens of thousands, whatever else the recording holds.
 */
export class LessonEvents {
  private readonly decoded = new Map<number, SockscopeEvent>()
  private list: SockscopeEvent[] = []
  private size = -1
  private key = ''

  update(store: EventStore, runIds: readonly string[]): readonly SockscopeEvent[] {
    const key = runIds.join(' ')
    if (store.size === this.size && key === this.key) return this.list
    if (store.size < this.size || key !== this.key) this.decoded.clear()
    this.size = store.size
    this.key = key
    const wanted = new Set<number>()
    for (const id of runIds) {
      const code = store.runs.find(id)
      if (code >= 0) wanted.add(code)
    }
    const out: SockscopeEvent[] = []
    if (wanted.size)
      for (let i = 0; i < store.size; i++) {
        const seq = store.order[i]!
        if (!wanted.has(store.run[seq]!)) continue
        let e = this.decoded.get(seq)
        if (!e) {
          e = store.event(seq) as SockscopeEvent
          this.decoded.set(seq, e)
        }
        out.push(e)
      }
    this.list = out
    return out
  }
}
