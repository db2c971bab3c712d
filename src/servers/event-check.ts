/**
 * The check every receiver of events makes (the lab of its children's batches, the page of
 * the host's): each event has what every consumer relies on, a string `kind`, a finite
 * number `t`, and a `src` with a string `role` and `run` and number `pid` and `tid`; the
 * rest of its fields pass through as sent. A plain loop, not a schema: a schema library's
 * per-object walk (and the copy it returns) cost more than everything else the lab does
 * with an event, and capped the pipeline at a fifth of a million events a second.
 *
 * Returns what is wrong, in the words of a schema's first issue (`events[3].t: expected a
 * number`), or undefined if nothing is.
 */
export function checkEvents(events: unknown, path = 'events'): string | undefined {
  if (!Array.isArray(events)) return `${path}: expected an array`
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as { kind?: unknown; t?: unknown; src?: { role?: unknown; run?: unknown; pid?: unknown; tid?: unknown } } | null
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return `${path}[${i}]: expected an object`
    if (typeof e.kind !== 'string') return `${path}[${i}].kind: expected a string`
    if (typeof e.t !== 'number' || !Number.isFinite(e.t)) return `${path}[${i}].t: expected a number`
    const src = e.src
    if (typeof src !== 'object' || src === null) return `${path}[${i}].src: expected an object`
    if (typeof src.role !== 'string' || typeof src.run !== 'string') return `${path}[${i}].src: role and run must be strings`
    if (typeof src.pid !== 'number' || typeof src.tid !== 'number') return `${path}[${i}].src: pid and tid must be numbers`
  }
  return undefined
}
