import { describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { findProgram } from '../../../src/servers/programs/index.ts'
import { type CodeMarker, markersAt } from '../../../src/servers/programs/markers.ts'
import { readProgramFile } from '../../../src/servers/programs/node-source.ts'
import { resolveProgram } from '../../../src/servers/programs/program.ts'
import { highlightLines } from '../../../src/renderer/code/highlight.ts'
import { ServerEvents } from '../../../src/renderer/code/server-events.ts'
import { codeRows, groupMarkers, markerColor, programTokens } from '../../../src/renderer/code/view.ts'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { PALETTES } from '../../../src/renderer/timeline/palette.ts'

const marker = (over: Partial<CodeMarker>): CodeMarker => ({
  laneKey: 'proc:11', kind: 'process', label: 'pid 11', run: 's1', pid: 11, tid: 0, conn: null, line: 29, call: 'time.sleep(5)', state: 'blocked', on: 'sleep', seq: 0, since: 0, ...over,
})

describe('highlightLines', () => {
  it('gives one token list per source line, a docstring split at its line breaks, keywords and strings classed', () => {
    const lines = highlightLines('def f():\n    """two\n    lines"""\n    return 1\n', 'python')
    expect(lines).toHaveLength(5)
    expect(lines.map((l) => l.map((t) => t.text).join(''))).toEqual(['def f():', '    """two', '    lines"""', '    return 1', ''])
    expect(lines[0]!.find((t) => t.text === 'def')!.cls).toContain('tok-keyword')
    expect(lines[1]!.find((t) => t.text.includes('two'))!.cls).toContain('tok-string')
  })

  it('parses TypeScript excerpts, types and all', () => {
    const [line] = highlightLines("const x: number = await io.recv('a')", 'typescript')
    expect(line!.find((t) => t.text === 'const')!.cls).toContain('tok-keyword')
    expect(line!.find((t) => t.text === "'a'")!.cls).toContain('tok-string')
  })
})

describe('codeRows', () => {
  it('puts each marker on its line, groups the same call, and heads each file of a model program', () => {
    const fork = resolveProgram(findProgram('model-fork'), readProgramFile)
    const rows = codeRows(fork, programTokens(fork), [marker({ line: 3 }), marker({ laneKey: 'proc:12', label: 'pid 12', line: 3 }), marker({ laneKey: 'server:s1', line: 5, state: 'running', on: null, call: 'accept()' })])
    const files = rows.filter((r) => r.type === 'file').map((r) => (r.type === 'file' ? r.file : ''))
    expect(files).toEqual(['src/servers/models/listen.ts', 'src/servers/models/fork.ts', 'src/servers/models/fork-child.ts', 'src/servers/models/runtime.ts'])
    const lines = rows.filter((r) => r.type === 'line')
    expect(lines).toHaveLength(fork.lines.length)
    const third = lines[2]!
    expect(third.type === 'line' && third.groups.map((g) => g.markers.map((m) => m.label))).toEqual([['pid 11', 'pid 12']])
  })

  it('colours a marker as its lane: blocked by what it waits on, running, zombie', () => {
    const p = PALETTES.dark
    expect(markerColor(p, marker({}))).toBe(p.blocked.sleep)
    expect(markerColor(p, marker({ on: 'recv' }))).toBe(p.blocked.recv)
    expect(markerColor(p, marker({ state: 'running', on: null }))).toBe(p.working)
    expect(markerColor(p, marker({ state: 'zombie', on: null }))).toBe(p.zombie)
    expect(groupMarkers([marker({}), marker({ on: 'recv' })])).toHaveLength(2)
  })
})

describe('ServerEvents', () => {
  it("reads the store's server events in time order, without the OS's samples, for markersAt", () => {
    const store = new EventStore()
    const src = (pid: number, role: 'server' | 'os' = 'server') => ({ role, run: 's1', pid, tid: 0 })
    const events: SockscopeEvent[] = [
      { kind: 'listen', t: 1, src: src(10), host: '127.0.0.1', port: 1, model: 'fork', app: 'echo' },
      { kind: 'block', t: 5, src: src(10), on: 'accept' },
      { kind: 'proc', t: 2, src: src(10, 'os'), change: 'appeared', pid: 10, ppid: 1, state: 'S', threads: 1, command: 'node' },
      // Arrives late (a child's batch), but happened before the parent's block.
      { kind: 'fork', t: 3, src: src(10), conn: 'a>1', childPid: 11 },
    ]
    store.append(events)
    const list = new ServerEvents().update(store)
    expect(list.map((i) => i.e.kind)).toEqual(['listen', 'fork', 'block'])
    const p = resolveProgram(findProgram('seed003-fork-server'), readProgramFile)
    expect(markersAt(p, list, 4).map((m) => [m.label, m.state])).toEqual([
      ['pid 10', 'running'],
      ['pid 11', 'running'],
    ])
  })
})
