import { describe, expect, it } from 'vitest'
import { checkEvents } from '../../src/servers/event-check.ts'
import { eventText, parseEventLines, toEventLines } from '../../src/servers/event-text.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'

const src = { role: 'server', run: 's1', pid: 42, tid: 0 } as const
const batch = [
  { kind: 'recv', t: 1.5, src, conn: '5>6', bytes: 3, preview: 'a\\nb' },
  { kind: 'close', t: 2, src, conn: '5>6', by: 'peer' },
] as unknown as SockscopeEvent[]

describe('event lines', () => {
  it('carry a batch as JSON.stringify writes each event, and give back the same events and texts', () => {
    const lines = toEventLines(batch)
    expect(lines).toBe(batch.map((e) => JSON.stringify(e)).join('\n'))
    const events = parseEventLines(lines) as SockscopeEvent[]
    expect(events).toEqual(batch)
    expect(events.map(eventText)).toEqual(batch.map((e) => JSON.stringify(e)))
    expect(parseEventLines('')).toEqual([])
  })

  it('refuse a line that is not JSON', () => {
    expect(() => parseEventLines('{"kind":"recv"}\n{oops')).toThrow(SyntaxError)
  })
})

describe('checkEvents', () => {
  it('passes events with the common fields and names the first that lacks one', () => {
    expect(checkEvents(batch)).toBeUndefined()
    expect(checkEvents('x')).toBe('events: expected an array')
    expect(checkEvents([batch[0], { ...batch[1], t: 'soon' }])).toBe('events[1].t: expected a number')
    expect(checkEvents([{ kind: 'recv', t: 1, src: { role: 'server', run: 's1', pid: '42', tid: 0 } }])).toBe('events[0].src: pid and tid must be numbers')
    expect(checkEvents([null])).toBe('events[0]: expected an object')
  })
})
