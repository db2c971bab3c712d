import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../../src/servers/events.ts'
import { modelCaptionContext } from '../../../../src/renderer/model/captions/context.ts'
import { CaptionSchedule, HOLD_MS } from '../../../../src/renderer/model/captions/schedule.ts'
import { EventStore } from '../../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../../src/renderer/model/trace-model.ts'
import { client, ev, server } from '../../events.ts'

function scheduleOf(events: SockscopeEvent[], speed = 1, notes: { t: number; text: string }[] = []) {
  const store = new EventStore()
  const model = new TraceModel(store)
  model.ingest(store.append(events))
  const ctx = modelCaptionContext(model, new Map(model.connections().map((c, i) => [c.conn, i + 1])))
  const schedule = new CaptionSchedule(store, () => ctx)
  schedule.configure(speed, notes)
  return schedule
}

const HOLD = HOLD_MS * 1000
const s = server(100)
const connect = (t: number, port: number) => ev('connect', t, client(), { conn: `${port}>50007`, local: '', remote: '', handshakeUs: 1 })

describe('the caption schedule', () => {
  it('collapses a burst, counting only what has happened by the playhead', () => {
    const events = [ev('listen', 0, s, { host: '127.0.0.1', port: 50007, model: 'fork', app: 'echo' }), ...Array.from({ length: 8 }, (_, i) => connect(HOLD + 1000 + i * 400, 40000 + i))]
    const schedule = scheduleOf(events)
    expect(schedule.at(100)!.text).toMatch(/^The fork server listens/)
    expect(schedule.at(HOLD + 1000)!.text).toBe('Client #1 connects')
    expect(schedule.at(HOLD + 1900)!.text).toBe('3 clients connect within 800 µs')
    expect(schedule.at(HOLD + 10_000)!.text).toBe('8 clients connect within 2.8 ms')
    expect(schedule.at(HOLD + 10_000)!.count).toBe(8)
  })

  it('holds a caption against routine ticks, but not against a more important one', () => {
    const events = [
      ev('fork', 0, s, { conn: '1>50007', childPid: 7 }),
      ev('recv', 1000, server(7), { conn: '1>50007', bytes: 5, preview: 'Hello' }),
      ev('exit', 2000, s, { conn: '1>50007', childPid: 7, code: 0, signal: null }),
      ev('recv', 3000, server(8), { conn: '1>50007', bytes: 5, preview: 'Hello' }),
      ev('send', HOLD + 2000, server(8), { conn: '1>50007', bytes: 5, preview: 'Hello' }),
    ]
    const schedule = scheduleOf(events)
    expect(schedule.at(1500)!.kind).toBe('fork')
    expect(schedule.at(2500)!.kind).toBe('exit')
    expect(schedule.at(3500)!.kind).toBe('exit')
    // Its hold over, the next event's caption takes its place.
    expect(schedule.at(HOLD + 2500)!.kind).toBe('send')
    // Nothing more for a long while: the caption is over.
    expect(schedule.at(HOLD * 20)).toBeNull()
  })

  it('holds scale with the replay speed: at 0.1× a caption holds a tenth of the recording time', () => {
    const events = [ev('fork', 0, s, { conn: '1>50007', childPid: 7 }), ev('recv', HOLD / 5, server(7), { conn: '1>50007', bytes: 5, preview: 'Hello' })]
    expect(scheduleOf(events, 1).at(HOLD / 5 + 1)!.kind).toBe('fork')
    expect(scheduleOf(events, 0.1).at(HOLD / 5 + 1)!.kind).toBe('recv')
  })

  it("a user's note is the caption around its time, over everything", () => {
    const events = [ev('fork', 0, s, { conn: '1>50007', childPid: 7 }), ev('exit', 1000, s, { conn: '1>50007', childPid: 7, code: 0, signal: null })]
    const schedule = scheduleOf(events, 1, [{ t: 500, text: 'watch the queue grow' }])
    expect(schedule.at(600)).toMatchObject({ text: 'watch the queue grow', kind: 'note' })
    expect(schedule.at(1500)).toMatchObject({ text: 'watch the queue grow', kind: 'note' })
    // A note after the last event still shows.
    expect(scheduleOf(events, 1, [{ t: 5000, text: 'the end' }]).at(5001)!.text).toBe('the end')
  })

  it('follows a live store as it grows, and starts again when an earlier batch lands', () => {
    const store = new EventStore()
    const model = new TraceModel(store)
    const ctx = () => modelCaptionContext(model, new Map(model.connections().map((c, i) => [c.conn, i + 1])))
    const schedule = new CaptionSchedule(store, ctx)
    model.ingest(store.append([connect(0, 40001)]))
    expect(schedule.at(10)!.text).toBe('Client #1 connects')
    model.ingest(store.append([ev('exit', HOLD * 2, s, { childPid: 7, code: 0, signal: null })]))
    expect(schedule.at(HOLD * 2)!.kind).toBe('exit')
    model.ingest(store.append([ev('fork', HOLD, s, { conn: '40001>50007', childPid: 7 })]))
    expect(schedule.at(HOLD + 1)!.kind).toBe('fork')
  })
})
