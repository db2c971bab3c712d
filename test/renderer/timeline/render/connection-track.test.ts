import { describe, expect, it } from 'vitest'
import { type Mark, MarkArray } from '../../../../src/renderer/model/derive.ts'
import { EventStore } from '../../../../src/renderer/model/event-store.ts'
import { TraceModel } from '../../../../src/renderer/model/trace-model.ts'
import { forEachIoColumn, forEachOtherMark } from '../../../../src/renderer/timeline/render/connection-track.ts'
import { TimeScale } from '../../../../src/renderer/timeline/time-scale.ts'
import { client, ev, server } from '../../events.ts'

const LABEL = 100

/** A connection with `n` recv/send pairs, 10 µs apart, bytes cycling 1…97, an accept first and a close last. */
function busyConnection(n: number) {
  const store = new EventStore()
  const model = new TraceModel(store)
  const events = [ev('accept', 0, server(), { conn: '1>2', remote: '127.0.0.1:1', waitedUs: 0 })]
  for (let i = 0; i < n; i++) {
    events.push(ev('recv', 10 + i * 10, server(), { conn: '1>2', bytes: 1 + (i % 97), preview: 'x' }))
    events.push(ev('send', 15 + i * 10, client(), { conn: '1>2', bytes: 1 + ((i * 7) % 97), preview: 'y' }))
  }
  events.push(ev('close', 20 + n * 10, server(), { conn: '1>2', by: 'peer' }))
  model.ingest(store.append(events))
  return model.connection('1>2')!
}

/** What forEachIoColumn draws: each call as `x side kind bytes`. */
function columns(ticks: Parameters<typeof forEachIoColumn>[0], scale: TimeScale): { x: number; side: string; kind: string; bytes: number }[] {
  const out: { x: number; side: string; kind: string; bytes: number }[] = []
  forEachIoColumn(ticks, scale, LABEL, (x, side, kind, bytes) => out.push({ x, side, kind, bytes }))
  return out
}

describe('recv / send ticks at any zoom (forEachIoColumn)', () => {
  it('draws a tick alone in its pixel column as it is', () => {
    const marks: Mark[] = [
      { kind: 'recv', t: 100, side: 'server', bytes: 5, seq: 0 },
      { kind: 'send', t: 200, side: 'server', bytes: 9, seq: 1 },
      { kind: 'recv', t: 300, side: 'client', bytes: 9, seq: 2 },
    ]
    const scale = new TimeScale(0, 1000, LABEL, LABEL + 1000)
    expect(columns(new MarkArray(marks), scale)).toEqual([
      { x: 200.5, side: 'server', kind: 'recv', bytes: 5 },
      { x: 300.5, side: 'server', kind: 'send', bytes: 9 },
      { x: 400.5, side: 'client', kind: 'recv', bytes: 9 },
    ])
  })

  it('zoomed out, draws each pixel column once per side and kind, with the most bytes in it', () => {
    const track = busyConnection(100_000)
    const scale = new TimeScale(0, 1_000_100, LABEL, LABEL + 500)
    const drawn = columns(track.ticks, scale)
    // What the column holds, mark by mark.
    const expected = new Map<string, number>()
    for (let i = 0; i < track.ticks.length; i++) {
      const kind = track.ticks.kind(i)
      if (kind !== 'recv' && kind !== 'send') continue
      const key = `${Math.round(scale.toX(track.ticks.t(i))) + 0.5} ${track.ticks.side(i)} ${kind}`
      expected.set(key, Math.max(expected.get(key) ?? 0, track.ticks.bytes(i)))
    }
    expect(drawn.length).toBe(expected.size)
    expect(drawn.length).toBeLessThanOrEqual(4 * 501)
    for (const d of drawn) expect(d.bytes, `${d.x} ${d.side} ${d.kind}`).toBe(expected.get(`${d.x} ${d.side} ${d.kind}`))
  })

  it('finds the few other instants among 100k recvs and sends', () => {
    const track = busyConnection(100_000)
    const scale = new TimeScale(0, 1_000_100, LABEL, LABEL + 500)
    const kinds: string[] = []
    forEachOtherMark(track.ticks, scale, LABEL, (i) => kinds.push(track.ticks.kind(i)))
    expect(kinds).toEqual(['accept', 'close'])
  })

  it('draws only what is in view', () => {
    const track = busyConnection(1000)
    const scale = new TimeScale(5000, 5100, LABEL, LABEL + 1000)
    const drawn = columns(track.ticks, scale)
    // recvs at 5000, 5010 … 5100 and sends at 5005 … 5095, each 10 px apart: every one drawn, nothing else.
    expect(drawn.map((d) => d.kind)).toEqual(Array.from({ length: 21 }, (_, i) => (i % 2 ? 'send' : 'recv')))
    expect(drawn[0]!.x).toBe(LABEL + 0.5)
    expect(drawn.at(-1)!.x).toBe(LABEL + 1000.5)
  })
})
