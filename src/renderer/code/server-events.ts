import type { SockscopeEvent } from '../../servers/events.ts'
import type { SeqEvent } from '../../servers/programs/markers.ts'
import { type EventStore, kindCode, ROLES } from '../model/event-store.ts'

const SERVER = ROLES.indexOf('server')
const SKIPPED = new Set(['proc', 'sockets', 'connect'].map(kindCode))

/**
 * The server side's events in time order, as objects, for the code panel's replay: each
 * decoded once (kept by seq), the list rebuilt in the store's time order when it grows
 * (a late batch can land before earlier ones). The OS's samples are left out: they are
 * most of a long recording and no thread of control's doing.
 */
export class ServerEvents {
  private readonly decoded = new Map<number, SeqEvent>()
  private list: SeqEvent[] = []
  private size = -1

  update(store: EventStore): readonly SeqEvent[] {
    if (store.size === this.size) return this.list
    if (store.size < this.size) this.decoded.clear()
    this.size = store.size
    const out: SeqEvent[] = []
    for (let i = 0; i < store.size; i++) {
      const seq = store.order[i]!
      if (store.role[seq] !== SERVER || SKIPPED.has(store.kind[seq]!)) continue
      let item = this.decoded.get(seq)
      if (!item) {
        item = { seq, e: store.event(seq) as SockscopeEvent }
        this.decoded.set(seq, item)
      }
      out.push(item)
    }
    this.list = out
    return out
  }
}
