import { describe, expect, it } from 'vitest'
import { generateTrace } from '../../../bench/trace-generator.ts'
import { EventStore, joinSnapshots, KINDS, kindCode, kindName, OTHER_KIND, snapshotBuffers } from '../../../src/renderer/model/event-store.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { TraceModel } from '../../../src/renderer/model/trace-model.ts'
import { deriveConnection, deriveProcess } from '../../../src/renderer/model/derive.ts'
import { client, ev, forkConnection, items, server } from '../events.ts'

const times = (store: EventStore) => Array.from({ length: store.size }, (_, i) => store.at(i).t)

describe('EventStore', () => {
  it('keeps every kind of the event union as a small code, and unknown kinds as other', () => {
    expect(kindName(kindCode('wakeup'))).toBe('wakeup')
    expect(kindCode('something-new')).toBe(OTHER_KIND)
    expect(new Set(KINDS).size).toBe(KINDS.length)
  })

  it('fills its columns from a batch and grows past its capacity', () => {
    const store = new EventStore(4)
    const events = forkConnection('35252>45627', 0, 501)
    const result = store.append(events)
    expect(result).toEqual({ first: 0, count: events.length, orderFrom: 0 })
    expect(store.capacity).toBeGreaterThanOrEqual(events.length)
    const send = events.findIndex((e) => e.kind === 'send')
    expect(kindName(store.kind[send]!)).toBe('send')
    expect(store.bytes[send]).toBe(5)
    expect(store.conns.name(store.conn[send]!)).toBe('35252>45627')
    expect(store.pid[send]).toBe(200)
    const exit = events.findIndex((e) => e.kind === 'exit')
    expect(store.conn[exit]).toBe(store.conns.find('35252>45627'))
    expect(store.minT).toBe(0)
  })

  it('keeps time order when a late batch arrives (a process that was blocked)', () => {
    const store = new EventStore()
    store.append([ev('accept', 10, server(), { conn: 'a' }), ev('accept', 30, server(), { conn: 'b' })])
    store.append([ev('recv', 40, client(), { conn: 'b', bytes: 1, preview: '' })])
    const late = store.append([ev('send', 35, server(5), { conn: 'a', bytes: 1, preview: '' }), ev('send', 20, server(5), { conn: 'a', bytes: 2, preview: '' })])
    expect(late.orderFrom).toBe(1)
    expect(times(store)).toEqual([10, 20, 30, 35, 40])
    // Arrival numbers (seq) stay put: what the log and tooltips point at does not move.
    expect(store.event(3)!.t).toBe(35)
  })

  it('keeps equal times in arrival order', () => {
    const store = new EventStore()
    store.append([ev('reap', 5, server(), { childPid: 1 }), ev('reap', 5, server(), { childPid: 2 })])
    store.append([ev('reap', 5, server(), { childPid: 3 })])
    expect(Array.from({ length: 3 }, (_, i) => (store.at(i) as { childPid: number }).childPid)).toEqual([1, 2, 3])
  })

  it('rebuilds every event whole from its columns and text, keeping no reference to the object it was given', () => {
    const store = new EventStore(2)
    const events = [
      ...forkConnection('35252>45627', 0, 501),
      ev('recv', 1, server(), { conn: '1>2', bytes: 12, preview: 'Καλημέρα ✓ \\x00' }),
      // A recv with a field beyond the usual ones keeps it.
      ev('recv', 2, server(), { conn: '1>2', bytes: 3, preview: 'abc', extra: [1, 2] }),
      ev('wakeup', 3, server(), { readable: ['listen:2', '1>2'], writable: [], waitedUs: 10.5 }),
      ev('block', 4, server(), { on: 'select', sockets: 3, timeoutMs: 250 }),
      ev('lock-wait', 5, server(100, 2), { conn: '1>2', lock: 'bank', waiter: 'task' }),
      ev('exit', 6, server(), { childPid: 501, code: null, signal: 'SIGKILL' }),
      ev('thread-end', 7, server(100, 3), { conn: '9>2', threadId: 3 }),
      ev('unblock', 8, server(), { conn: '1>2', on: 'recv', blockedUs: 12.25, waiter: 'thread' }),
      ev('block', 9, server(), { on: 'select', sockets: 0 }),
      ev('wakeup', 10, server(), { readable: [], writable: ['1>2'], waitedUs: 0 }),
      ev('block', 11, server(), { conn: '1>2', on: 'recv', waiter: 'task' }),
      ev('block', 12, server(), { on: 'accept', cause: 'at-cap', limit: 40 }),
    ]
    const copies = structuredClone(events)
    store.append(events)
    for (const e of events) (e as { t: number }).t = -1
    expect(Array.from({ length: store.size }, (_, seq) => store.event(seq))).toEqual(copies)
    expect(store.event(store.size)).toBeUndefined()
    expect(store.event(-1)).toBeUndefined()
    const lockWait = copies.findIndex((e) => e.kind === 'lock-wait')
    expect(store.waitOn(lockWait)).toBe('lock')
    expect(store.preview(copies.findIndex((e) => e.kind === 'send'))).toBe('Hello')
  })

  it('makes room ahead for a known number of events, keeping those it has', () => {
    const store = new EventStore(4)
    store.append(forkConnection('1>2', 0, 501))
    store.reserve(10_000)
    expect(store.capacity).toBe(10_000)
    expect(store.event(1)).toMatchObject({ kind: 'send', preview: 'Hello' })
    store.reserve(10)
    expect(store.capacity).toBe(10_000)
  })

  it('forgets its texts on clear', () => {
    const store = new EventStore()
    store.append([ev('send', 1, client(), { conn: '1>2', bytes: 5, preview: 'Hello' })])
    store.clear()
    store.append([ev('send', 2, client(), { conn: '1>2', bytes: 5, preview: 'World' })])
    expect(store.event(0)).toMatchObject({ t: 2, preview: 'World' })
  })

  it('widens its run and thread columns when an id does not fit, keeping the values it has', () => {
    const store = new EventStore(4)
    const events = Array.from({ length: 300 }, (_, i) =>
      ev('send', i, { role: 'server', run: `s${i}`, pid: 100, tid: i === 299 ? 70_000 : i % 7 }, { conn: '1>2', bytes: 1, preview: 'x' }),
    )
    store.append(events.slice(0, 10))
    expect(store.run).toBeInstanceOf(Uint8Array)
    expect(store.tid).toBeInstanceOf(Uint16Array)
    store.append(events.slice(10))
    expect(store.run).toBeInstanceOf(Uint16Array)
    expect(store.tid).toBeInstanceOf(Int32Array)
    expect(Array.from({ length: store.size }, (_, seq) => store.source(seq))).toEqual(events.map((e) => e.src))
  })

  it('is adopted whole by another store from a snapshot, its buffers transferred (the parse worker’s to the page)', () => {
    const store = new EventStore(4)
    const events = [
      ...forkConnection('35252>45627', 0, 501),
      ev('wakeup', 3, server(), { readable: ['listen:2', '1>2'], writable: [], waitedUs: 10.5 }),
      ev('unblock', 8, server(), { conn: '1>2', on: 'recv', blockedUs: 12.25, waiter: 'thread' }),
      ev('send', 2, server(), { conn: '1>2', bytes: 12, preview: 'Καλημέρα ✓' }),
    ]
    store.append(events)
    const snapshot = store.snapshot()
    const moved = structuredClone(snapshot, { transfer: snapshotBuffers(snapshot) })
    expect(store.t.byteLength).toBe(0)
    const adopted = new EventStore()
    adopted.adopt(moved)
    expect(Array.from({ length: adopted.size }, (_, seq) => adopted.event(seq))).toEqual(events)
    expect(times(adopted)).toEqual([...events.map((e) => e.t)].sort((a, b) => a - b))
    expect([adopted.minT, adopted.maxT]).toEqual([0, Math.max(...events.map((e) => e.t))])
    // It goes on growing as any store does.
    adopted.append([ev('recv', 1e9, client(), { conn: '1>2', bytes: 5, preview: 'later' })])
    expect(adopted.at(adopted.size - 1)).toMatchObject({ conn: '1>2', preview: 'later' })
    expect(adopted.conns.find('35252>45627')).toBe(0)
  })

  it('joins two stores into the one store their events make (a file read in two parts by two workers)', () => {
    // A generated trace's every kind (compact waits, wake-ups' ready names, plain and other recvs, listens, closes…),
    // a run past one byte's worth in the second part, a thread id past two bytes', and times out of order across the cut.
    const events: SockscopeEvent[] = [...generateTrace({ events: 3000, connections: 30, seed: 7 })]
    events.push(ev('recv', 5, { role: 'server', run: 'late', pid: 9, tid: 70_000 }, { conn: '9>9', bytes: 3, preview: 'odd', extra: 1 }))
    for (let r = 0; r < 300; r++) events.push(ev('phase', 2e9 + r, { role: 'server', run: `r${r}`, pid: 1, tid: 0 }, { phase: 'setup', edge: 'begin' }))
    const storeOf = (list: readonly SockscopeEvent[]) => {
      const store = new EventStore(16)
      for (let i = 0; i < list.length; i += 512) store.append(list.slice(i, i + 512))
      return store
    }
    const whole = storeOf(events)
    const read = (store: EventStore) => ({
      events: Array.from({ length: store.size }, (_, seq) => store.event(seq)),
      order: Array.from(store.order.subarray(0, store.size)),
      conns: store.conns.names,
      runs: store.runs.names,
      span: [store.minT, store.maxT],
    })
    for (const cut of [0, 1, 1234, 2999, events.length - 150, events.length]) {
      const joined = new EventStore()
      joined.adopt(joinSnapshots(storeOf(events.slice(0, cut)).snapshot(), storeOf(events.slice(cut)).snapshot()))
      expect(read(joined), `cut at ${cut}`).toEqual(read(whole))
      expect(joined.wakeup(events.findIndex((e) => e.kind === 'wakeup'))).toEqual(whole.wakeup(events.findIndex((e) => e.kind === 'wakeup')))
      // It goes on as any store does.
      joined.append([ev('recv', 3e9, client(), { conn: '9>9', bytes: 5, preview: 'later' })])
      expect(joined.at(joined.size - 1)).toMatchObject({ conn: '9>9', preview: 'later' })
    }
  })

  // Its speed and memory per event are measured by bench/event-store.bench.ts.
  it('takes 100k events in batches, in order', () => {
    const store = new EventStore()
    for (let b = 0; b < 100; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ev('send', b * 1000 + i, client(), { conn: `${i % 50}>1`, bytes: 10, preview: 'x' }))
      store.append(batch)
    }
    expect(store.size).toBe(100_000)
    expect(store.at(99_999).t).toBe(99_999)
  })
})

describe('TraceModel', () => {
  it('sorts events into connection, process and thread tracks, and derives only what changed', () => {
    const store = new EventStore()
    const model = new TraceModel(store)
    model.ingest(store.append([ev('listen', 0, server(100), { host: '127.0.0.1', port: 2, model: 'fork', app: 'echo' }), ...forkConnection('1>2', 10, 501)]))
    expect(model.servers()).toEqual([{ run: 's1', pid: 100, model: 'fork', app: 'echo', host: '127.0.0.1', ports: [2], listenT: 0 }])
    const [first] = model.connections()
    expect(first!.childPid).toBe(501)
    expect(model.processes().map((p) => `${p.pid}:${p.role}`)).toEqual(['100:server', '200:client', '501:child'])
    // Untouched tracks come back as the same objects.
    model.ingest(store.append(forkConnection('3>2', 20, 502)))
    const again = model.connections()
    expect(again[0]).toBe(first)
    expect(again).toHaveLength(2)
  })

  it('sends a thread’s own events to its thread track and wake-ups to a loop track', () => {
    const store = new EventStore()
    const model = new TraceModel(store)
    model.ingest(store.append([
      ev('thread-start', 1, server(100, 2), { conn: '1>2', threadId: 2 }),
      ev('wakeup', 2, server(100), { readable: ['1>2'], writable: [], waitedUs: 1 }),
    ]))
    expect(model.threads().map((t) => t.key)).toEqual(['100:2'])
    expect(model.loops().map((l) => l.wakeups.length)).toEqual([1])
  })

  it('derives from the store’s columns what the pure functions derive from the objects', () => {
    const events = [
      ev('listen', 0, server(100), { host: '127.0.0.1', port: 2, model: 'fork', app: 'echo' }),
      ...forkConnection('1>2', 10, 501),
      ev('close', 200_000, server(501), { conn: '9>2', by: 'error', reset: 'received' }),
      ev('error', 199_000, server(501), { conn: '9>2', code: 'ECONNRESET', message: 'reset' }),
      ev('reap', 300_000, server(100), { conn: '1>2', childPid: 501, policy: 'on-accept', trigger: 'accept', zombieUs: 5, modelled: true }),
    ]
    const store = new EventStore()
    const model = new TraceModel(store)
    model.ingest(store.append(events.slice(0, 9)))
    model.ingest(store.append(events.slice(9)))
    const all = items(events)
    for (const key of ['1>2', '9>2']) {
      const fromStore = model.connection(key)!
      const fromObjects = deriveConnection(key, key, all.filter((i) => (i.e as { conn?: string }).conn === key))
      expect({ ...fromStore, ticks: null }).toEqual({ ...fromObjects, ticks: null })
      expect(fromStore.markCount).toBe(fromObjects.marks.length)
    }
    expect(model.process(501)).toEqual(deriveProcess(501, all.filter((i) => i.e.src.pid === 501 || (i.e as { childPid?: number }).childPid === 501)))
    // Between two ingests the lists are the same arrays: a frame that asks again does no work.
    expect(model.connections()).toBe(model.connections())
  })
})
