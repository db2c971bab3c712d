import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { SockscopeError } from '../../../src/servers/errors.ts'
import { lessons } from '../../../src/servers/lessons/index.ts'
import { models } from '../../../src/servers/models/index.ts'
import { findProgram, modelProgram, programs } from '../../../src/servers/programs/index.ts'
import { programPath, readProgramFile } from '../../../src/servers/programs/node-source.ts'
import { type ProgramDef, resolveProgram } from '../../../src/servers/programs/program.ts'

const LESSON_IDS = [
  'seed000-naive-server',
  'seed000-threading-tcpserver',
  'seed001-multiconn-server',
  'seed001-asyncio-server',
  'seed002-bank',
  'seed003-fork-server',
  'seed003-fork-sigchld-ignore',
  'seed003-select-two-ports',
  'seed004-twisted-reactor',
  'c10k',
]

describe('programs', () => {
  it('has the Python programs the lessons name, each for a model Sockscope runs', () => {
    for (const id of LESSON_IDS) expect(findProgram(id).language).toBe('python')
    const names = models.map((m) => m.name)
    for (const p of programs) expect(names).toContain(p.model)
    expect(new Set(programs.map((p) => p.id)).size).toBe(programs.length)
  })

  it("has every lesson's program, for the model the lesson runs", () => {
    for (const lesson of lessons) expect(findProgram(lesson.program).language, lesson.id).toBe('python')
  })

  it('has the own TypeScript program of every model, the code panel\'s default', () => {
    for (const m of models) expect(modelProgram(m.name)?.id, m.name).toBe(`model-${m.name}`)
  })

  it('resolves every lineMap entry to exactly one line of its program', () => {
    for (const def of programs) {
      const program = resolveProgram(def, readProgramFile)
      expect(program.lineOf.size, def.id).toBe(Object.keys(def.lineMap).length)
      for (const [key, line] of program.lineOf) expect(program.lines[line - 1]!.text, `${def.id} ${key}`).toContain(def.lineMap[key]!.at)
    }
  })

  it('reads a model program from the model files themselves, with their own line numbers', () => {
    const program = resolveProgram(modelProgram('fork')!, readProgramFile)
    const fork = fs.readFileSync(programPath('models/fork.ts'), 'utf8').split('\n')
    const forkLine = program.lines[program.lineOf.get('fork')! - 1]!
    expect(program.parts[forkLine.part]!.file).toBe('models/fork.ts')
    expect(fork[forkLine.fileLine - 1]).toBe(forkLine.text)
  })

  it('refuses an anchor on no line or on two, with a coded error', () => {
    const def: ProgramDef = { ...findProgram('seed003-fork-server'), lineMap: { recv: { at: 'connection', call: 'recv()' } } }
    expect(() => resolveProgram(def, readProgramFile)).toThrow(SockscopeError)
    expect(() => resolveProgram({ ...def, lineMap: { recv: { at: 'no such text', call: 'x' } } }, readProgramFile)).toThrow(/no line|on 0 lines/)
    expect(() => findProgram('nope')).toThrow(/unknown program/)
  })

  it('compiles every Python port with python3', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-pyc-'))
    try {
      const files = programs.filter((p) => p.language === 'python').flatMap((p) => [programPath(p.parts[0]!.file), path.join(out, `${p.id}.pyc`)])
      const script = 'import py_compile, sys\nfor src, dst in zip(sys.argv[1::2], sys.argv[2::2]): py_compile.compile(src, cfile=dst, doraise=True)'
      execFileSync('python3', ['-c', script, ...files])
      expect(fs.readdirSync(out)).toHaveLength(files.length / 2)
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  })
})
