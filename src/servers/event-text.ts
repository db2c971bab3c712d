import type { SockscopeEvent } from './events.ts'

/**
 * Each event's JSON text, as the process that stamped it wrote it, for the lab's writers
 * (the trace file, the WebSocket) to reuse rather than serialize the event again: a child
 * sends its batches as JSON lines, the lab parses them for the merger and keeps the lines.
 *
 * Bounded by time, not by count: texts live in two generations of weak maps, and the
 * older generation is dropped whole every ROTATE_MS. An event is merged and written well
 * within that (the merger holds events back 500 ms at most), so its text is found when it
 * is written; an event kept longer (a history replayed to a page that connects later) is
 * serialized again, and the texts never pile up beside a long history.
 */
const ROTATE_MS = 2000
let current = new WeakMap<SockscopeEvent, string>()
let previous = new WeakMap<SockscopeEvent, string>()
let rotatedAt = 0

function rotate(now: number): void {
  if (now - rotatedAt < ROTATE_MS) return
  rotatedAt = now
  previous = current
  current = new WeakMap()
}

/** The events of a batch of JSON lines (one event per line), each remembered with its line. Throws SyntaxError on a line that is not JSON. */
export function parseEventLines(lines: string): unknown[] {
  rotate(performance.now())
  const events: unknown[] = []
  if (lines === '') return events
  let start = 0
  // JSON text never holds a raw newline (JSON.stringify escapes it): every \n ends an event.
  while (start <= lines.length) {
    let end = lines.indexOf('\n', start)
    if (end === -1) end = lines.length
    const line = lines.slice(start, end)
    const event = JSON.parse(line) as unknown
    if (typeof event === 'object' && event !== null) current.set(event as SockscopeEvent, line)
    events.push(event)
    start = end + 1
  }
  return events
}

/** A batch as JSON lines, for parseEventLines at the other end. */
export function toEventLines(events: readonly SockscopeEvent[]): string {
  let text = ''
  for (let i = 0; i < events.length; i++) text += (i ? '\n' : '') + eventText(events[i]!)
  return text
}

/** The event's JSON text: the line it arrived as, if it did lately, else JSON.stringify's. */
export function eventText(event: SockscopeEvent): string {
  return current.get(event) ?? previous.get(event) ?? JSON.stringify(event)
}
