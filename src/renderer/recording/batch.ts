import type { SockscopeEvent } from '../../servers/events.ts'
import { type FilePlacement, placeEvent } from './group.ts'
import type { WorkerMessage } from './messages.ts'

/**
 * A batch from the parse worker as events on the recording's axis: its lines parsed, and
 * each moved by its file's placement (its offset from the group's zero, its group's ids).
 * The earliest file of the first group needs no move: its events stay as in the file.
 */
export function placeBatch(message: Extract<WorkerMessage, { type: 'events' }>, places: readonly FilePlacement[]): SockscopeEvent[] {
  const events = JSON.parse(message.json) as SockscopeEvent[]
  let at = 0
  for (let k = 0; k < message.segments.length; k += 2) {
    const place = places[message.segments[k]!]!
    const end = at + message.segments[k + 1]!
    if (place.offsetUs !== 0 || place.label) for (let i = at; i < end; i++) placeEvent(events[i]!, place)
    at = end
  }
  return events
}
