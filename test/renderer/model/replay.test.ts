import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { blockedAt, clampSpeed, findMarkers, markerFrom, nextSpeed, phaseAt, skipIdle, stepTime } from '../../../src/renderer/model/replay.ts'
import { ev, forkConnection, procEvent, server } from '../events.ts'

const storeOf = (...batches: Parameters<EventStore['append']>[0][]) => {
  const store = new EventStore()
  for (const batch of batches) store.append(batch)
  return store
}

describe('stepping through a recording', () => {
  const store = storeOf(forkConnection('1>2', 1e6, 501), forkConnection('3>2', 1.1e6, 502))

  it('goes to the next and the previous event, and back is where it came from', () => {
    const next = stepTime(store, 1e6, 1)!
    expect(next).toBe(1e6 + 50)
    expect(stepTime(store, next, -1)).toBe(1e6)
    // From between two events, back is the one before.
    expect(stepTime(store, 1e6 + 100, -1)).toBe(1e6 + 50)
    expect(stepTime(store, store.maxT, 1)).toBeNull()
    expect(stepTime(store, store.minT, -1)).toBeNull()
  })

  it('steps through one connection alone when one is picked', () => {
    const t = stepTime(store, 1e6, 1, '3>2')
    expect(t).toBe(1.1e6)
    expect(stepTime(store, 1.1e6, -1, '3>2')).toBeNull()
    expect(stepTime(store, 0, 1, 'no>such')).toBeNull()
  })

  it('skips the OS sampler\'s readings: they are not steps of the program', () => {
    const withOs = storeOf(forkConnection('1>2', 1e6, 501), [procEvent(1e6 + 10, 'appeared', 501, 100, 'S')])
    expect(stepTime(withOs, 1e6, 1)).toBe(1e6 + 50)
  })
})

describe('markers', () => {
  it('marks the first accept, every fork and exit, and a zombie where a reap came later', () => {
    const events = forkConnection('1>2', 1e6, 501)
    events.push(ev('reap', 9e6, server(100), { conn: '1>2', childPid: 501, policy: 'on-accept', trigger: 'accept', modelled: true }))
    events.push(...forkConnection('3>2', 9e6, 502))
    const markers = findMarkers(storeOf(events))
    expect(markers.map((m) => m.kind)).toEqual(['first-accept', 'fork', 'exit', 'zombie', 'reap', 'fork', 'exit'])
    const zombie = markers.find((m) => m.kind === 'zombie')!
    expect(zombie.t).toBe(markers.find((m) => m.kind === 'exit')!.t)
    expect(markerFrom(markers, 0, 1)?.kind).toBe('first-accept')
    expect(markerFrom(markers, 9e6, -1)?.kind).toBe('zombie')
    expect(markerFrom(markers, 1e12, 1)).toBeNull()
  })
})

describe('speed', () => {
  it('goes from 0.1× to 16× in steps, and no further', () => {
    expect(nextSpeed(1, 1)).toBe(2)
    expect(nextSpeed(1, -1)).toBe(0.5)
    expect(nextSpeed(16, 1)).toBe(16)
    expect(nextSpeed(0.1, -1)).toBe(0.1)
    expect(clampSpeed(100)).toBe(16)
    expect(clampSpeed(0)).toBe(0.1)
    expect(clampSpeed(Number.NaN)).toBe(1)
  })
})

describe('idle time', () => {
  const store = storeOf([ev('listen', 0, server()), ev('accept', 10e6, server(), { conn: '1>2' })])
  it('plays a gap longer than the limit as the limit: half after the event before, half before the next', () => {
    expect(skipIdle(store, 0.4e6, 1e6)).toBe(0.4e6)
    expect(skipIdle(store, 0.6e6, 1e6)).toBe(9.5e6)
    expect(skipIdle(store, 9.7e6, 1e6)).toBe(9.7e6)
    expect(skipIdle(store, 0.6e6, null)).toBe(0.6e6)
  })
})

describe('a track at an instant', () => {
  const phases = [
    { kind: 'running' as const, start: 0, end: 10, seq: 0 },
    { kind: 'sleeping' as const, start: 10, end: 20, on: 'sleep' as const, seq: 1 },
    { kind: 'running' as const, start: 20, end: null, seq: 2 },
  ]
  it('finds the phase going on, an ending phase being over', () => {
    expect(phaseAt(phases, 5)?.seq).toBe(0)
    expect(phaseAt(phases, 10)?.seq).toBe(1)
    expect(phaseAt(phases, 1e9)?.seq).toBe(2)
    expect(phaseAt(phases, -1)).toBeUndefined()
    expect(blockedAt(phases, 15)).toBe('sleep')
    expect(blockedAt(phases, 25)).toBeNull()
  })
})

describe('markers of a growing store', () => {
  it('are the same read as the store grows as read at once, and start again when a late batch lands earlier', async () => {
    const { MarkerIndex } = await import('../../../src/renderer/model/replay.ts')
    const first = forkConnection('1>2', 1e6, 501)
    const reap = ev('reap', 9e6, server(100), { conn: '1>2', childPid: 501, policy: 'on-accept', trigger: 'accept', modelled: true })
    const second = forkConnection('3>2', 9e6, 502)
    const store = new EventStore()
    const index = new MarkerIndex()
    store.append(first)
    expect(index.update(store).map((m) => m.kind)).toEqual(['first-accept', 'fork', 'exit'])
    store.append([reap, ...second])
    expect(index.update(store)).toEqual(findMarkers(store))
    // A batch from before the last one scanned (a process that was blocked): read again, the same as at once.
    store.append([ev('error', 2e6, server(100), { conn: '1>2', code: 'CONNECTION_RESET', message: 'reset' })])
    expect(index.update(store)).toEqual(findMarkers(store))
    expect(index.update(store).some((m) => m.kind === 'error')).toBe(true)
  })
})
