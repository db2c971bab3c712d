import { describe, expect, it } from 'vitest'
import { GROUP_GAP_US, groupConn, groupLabel, groupRun, placeEvent, placeFiles, placeLesson } from '../../../src/renderer/recording/group.ts'
import { client, ev, server } from '../events.ts'

const S = 1_000_000_000n // ns in a second

describe('placing files on one axis', () => {
  it('one run: files that overlap or come within a second share the earliest origin as their zero', () => {
    const places = placeFiles([
      { originNs: String(10n * S), firstT: 0, lastT: 5e6 },
      // Starts 2 s after its own origin, which is 4 s after the first: 6 s..9 s on the first's axis.
      { originNs: String(14n * S), firstT: 2e6, lastT: 5e6 },
      // 9.5 s: half a second after the second ends, still the same run.
      { originNs: String(19n * S + S / 2n), firstT: 0, lastT: 1e6 },
    ])
    expect(places.map((p) => p.group)).toEqual([0, 0, 0])
    expect(places.map((p) => p.offsetUs)).toEqual([0, 4e6, 9.5e6])
    expect(new Set(places.map((p) => p.zeroNs))).toEqual(new Set([String(10n * S)]))
  })

  it('unrelated runs: each group from its own zero, labelled from the second on, in time order whatever the files’ order', () => {
    const gap = BigInt(GROUP_GAP_US) * 1000n
    const places = placeFiles([
      { originNs: String(100n * S), firstT: 0, lastT: 1e6 },
      { originNs: String(10n * S), firstT: 0, lastT: 1e6 },
      // 1 µs more than a second after the run at 10–11.5 s ends: another run.
      { originNs: String(11n * S + S / 2n + gap + 1000n), firstT: 0, lastT: 1e6 },
      { originNs: String(10n * S + S / 2n), firstT: 0, lastT: 1e6 },
    ])
    expect(places.map((p) => [p.group, p.label, p.offsetUs])).toEqual([
      [2, 'C', 0],
      [0, '', 0],
      [1, 'B', 0],
      [0, '', 0.5e6],
    ])
  })

  it('a file without events is placed by its origin alone', () => {
    const places = placeFiles([
      { originNs: String(10n * S), firstT: 0, lastT: 1e6 },
      { originNs: String(10n * S + 100n), firstT: Number.POSITIVE_INFINITY, lastT: Number.NEGATIVE_INFINITY },
    ])
    expect(places.map((p) => [p.group, p.offsetUs])).toEqual([[0, 0], [0, 0.1]])
  })

  it('labels never clash; marked ids keep what derive reads of them', () => {
    expect([0, 1, 2, 25, 26, 27].map(groupLabel)).toEqual(['', 'B', 'C', 'Z', 'BA', 'BB'])
    expect(groupRun('s1', '')).toBe('s1')
    expect(groupRun('s1', 'B')).toBe('B·s1')
    expect(groupConn('51002>50007', 'B')).toBe('51002>50007>B')
    const wake = ev('wakeup', 10, server(), { readable: ['1>2'], writable: ['3>2'], waitedUs: 4 })
    placeEvent(wake, { group: 1, label: 'B', offsetUs: 5, zeroNs: '0' })
    expect(wake).toMatchObject({ t: 15, src: { run: 'B·s1' }, readable: ['1>2>B'], writable: ['3>2>B'] })
    const first = ev('connect', 10, client(), { conn: '1>2' })
    placeEvent(first, { group: 0, label: '', offsetUs: 0, zeroNs: '0' })
    expect(first).toMatchObject({ t: 10, src: { run: 'c2' }, conn: '1>2' })
  })

  it("moves a file's lesson run as its events: its start by the offset, its run ids by the group's label", () => {
    const run = { t: 100, lesson: 'fork-reap', runs: { servers: { forking: 's1' }, clients: { first: 'c2', next: 'c3' } } }
    expect(placeLesson(run, { group: 1, label: 'B', offsetUs: 50, zeroNs: '0' })).toEqual({ t: 150, lesson: 'fork-reap', runs: { servers: { forking: 'B·s1' }, clients: { first: 'B·c2', next: 'B·c3' } } })
    expect(placeLesson(run, { group: 0, label: '', offsetUs: 0, zeroNs: '0' })).toEqual(run)
  })
})
