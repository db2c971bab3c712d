import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { lessons } from '../../../src/servers/lessons/index.ts'
import { evaluate } from '../../../src/servers/lessons/lesson.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { TraceFileReader } from '../../../src/servers/trace-lines.ts'
import { cli } from '../../helpers/cli.ts'

/**
 * Every lesson, run as a teacher would (`sockscope lesson run ID --json`), on real
 * servers: each checkpoint must be observed. Three at a time: each lesson's own timing
 * is what it teaches, so they must not starve each other on a 2-core machine; c10k
 * first and alone, since its thread half is the cost of booting 50 V8 isolates.
 */
const AT_ONCE = 3

function pool(size: number) {
  let running = 0
  const waiting: (() => void)[] = []
  return async <T>(job: () => Promise<T>): Promise<T> => {
    while (running >= size) await new Promise<void>((resolve) => waiting.push(resolve))
    running++
    try {
      return await job()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}

const slot = pool(AT_ONCE)
const ALONE = ['c10k']

interface RunJson {
  id: string
  checkpoints: { id: string; text: string; observed: boolean }[]
  problems: string[]
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-lesson-cli-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
/** The lesson whose run also writes --trace: the file names the runs, so a reopened recording ticks the same. */
const TRACED = 'naive-server'

async function runLesson(id: string) {
  const trace = id === TRACED ? path.join(tmp, `${id}.ndjson`) : null
  const { code, stdout, stderr } = await cli(['lesson', 'run', id, '--json', ...(trace ? ['--trace', trace] : [])])
  const out = JSON.parse(stdout.join('\n')) as RunJson
  const missed = out.checkpoints.filter((c) => !c.observed).map((c) => c.text)
  expect(missed, stderr.join('\n')).toEqual([])
  expect(out.problems).toEqual([])
  expect(out.checkpoints.map((c) => c.id)).toEqual(lessons.find((l) => l.id === id)!.checkpoints.map((c) => c.id))
  expect(code).toBe(0)
  if (trace) await checkTrace(id, trace)
}

async function checkTrace(id: string, file: string) {
  const reader = new TraceFileReader(file)
  reader.push(readFileSync(file))
  reader.end()
  expect(reader.header).toMatchObject({ version: 3, ended: 'clean', command: `lesson run ${id}` })
  expect(reader.lessons).toHaveLength(1)
  const [record] = reader.lessons
  expect(record!.lesson).toBe(id)
  const { events } = await readTrace(file)
  expect(record!.t).toBeLessThanOrEqual(events[0]!.t)
  const lesson = lessons.find((l) => l.id === id)!
  expect(Object.keys(record!.runs.servers)).toEqual(Object.keys(lesson.scenario.servers))
  expect(evaluate(lesson, { events, runs: record!.runs }).filter((c) => !c.observed)).toEqual([])
}

describe('sockscope lesson', () => {
  describe('run, every lesson on real servers', () => {
    for (const id of ALONE) it(`${id}: every checkpoint observed`, { timeout: 120_000 }, () => runLesson(id))
    describe.concurrent('the others, three at a time', () => {
      for (const lesson of lessons.filter((l) => !ALONE.includes(l.id)))
        it(`${lesson.id}: every checkpoint observed`, { timeout: 180_000 }, () => slot(() => runLesson(lesson.id)))
    })
  })

  it('list --json names every lesson with its seed and program; --lang el says it in Greek', async () => {
    const { code, stdout } = await cli(['lesson', 'list', '--json', '--lang', 'el'])
    expect(code).toBe(0)
    const { lessons: listed } = JSON.parse(stdout.join('\n')) as { lessons: { id: string; title: string; seedLabel: string; program: string }[] }
    expect(listed.map((l) => l.id)).toEqual(lessons.map((l) => l.id))
    expect(listed[0]).toMatchObject({ id: 'naive-server', title: 'Ο απλοϊκός server και η ουρά αποδοχής', seedLabel: 'οδηγός 000', program: 'seed000-naive-server' })
  })

  it('run of an unknown lesson is a usage error naming the known ones (exit 2)', async () => {
    const { code, stderr } = await cli(['lesson', 'run', 'nope'])
    expect(code).toBe(2)
    expect(stderr.join('\n')).toMatch(/^sockscope: unknown lesson 'nope' \(known: naive-server, .*c10k\) \(UNKNOWN_LESSON\)$/m)
    const lang = await cli(['lesson', 'list', '--lang', 'fr'])
    expect(lang.code).toBe(2)
    expect(lang.stderr.join('\n')).toMatch(/--lang must be one of en, el, not 'fr' \(BAD_OPTION\)/)
  })
})
