import { describe, expect, it } from 'vitest'
import { kindCode, KINDS, OTHER_KIND } from '../../../src/renderer/model/event-store.ts'
import { summarize } from '../../../src/renderer/model/describe.ts'
import { ev, server } from '../events.ts'

const os = { role: 'os' as const, run: 's1', pid: 1, tid: 0 }

describe('summarize (the log and tooltip line)', () => {
  it("says whose memory a bank balance lives in: a forked child's copy is not the others'", () => {
    expect(summarize(ev('state', 1, server(), { access: 'write', key: 'jack', value: 3, memory: 'copy' }))).toBe("writes jack = 3 (this child's own copy)")
    expect(summarize(ev('state', 1, server(), { access: 'read', key: 'jack', value: 2, memory: 'shared' }))).toBe('reads jack = 2 (shared by the threads)')
  })

  it('reads an OS sample: a state change with its letter, a usage update with CPU and memory', () => {
    expect(summarize(ev('proc', 1, os, { change: 'changed', pid: 42, ppid: 1, state: 'Z', threads: 1, command: '[python3] <defunct>' }))).toBe(
      'OS: pid 42 changed, state Z, 1 threads: [python3] <defunct>',
    )
    expect(summarize(ev('proc', 1, os, { change: 'usage', pid: 42, ppid: 1, state: 'R', threads: 7, command: 'node', cpuPercent: 97.5, rssBytes: 52 * 1048576 }))).toBe(
      'OS: pid 42 uses 97.5% CPU, 52 MB',
    )
  })

  it('gives every kind of the event union its own column code', () => {
    expect(kindCode('state')).not.toBe(OTHER_KIND)
    expect(new Set(KINDS.map(kindCode)).size).toBe(KINDS.length)
  })
})
