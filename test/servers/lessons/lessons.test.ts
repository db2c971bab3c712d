import { describe, expect, it } from 'vitest'
import { SockscopeError } from '../../../src/servers/errors.ts'
import { checkpointText, LANGUAGES, lessonI18n, lessonTexts, resources, uiText } from '../../../src/servers/lessons/i18n.ts'
import { findLesson, lessons } from '../../../src/servers/lessons/index.ts'
import { findModel } from '../../../src/servers/models/index.ts'
import { findProgram } from '../../../src/servers/programs/index.ts'
import { findWorkload } from '../../../src/servers/clients/workloads/index.ts'
import { ClientSpec, parseSpec, ServerSpec } from '../../../src/servers/spec.ts'

const PROGRAMS = [
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

describe('lessons as data', () => {
  it('ten lessons, in the issue\'s order, each with its seed program and a valid scenario', () => {
    expect(lessons.map((l) => l.program)).toEqual(PROGRAMS)
    // The code panel has each of them (src/servers/programs).
    for (const lesson of lessons) expect(findProgram(lesson.program).id).toBe(lesson.program)
    expect(new Set(lessons.map((l) => l.id)).size).toBe(lessons.length)
    for (const lesson of lessons) {
      for (const spec of Object.values(lesson.scenario.servers)) findModel(parseSpec(ServerSpec, spec).model)
      const names = new Set(Object.keys(lesson.scenario.servers))
      const earlier = new Set<string>()
      for (const step of lesson.scenario.clients) {
        expect(names.has(step.server), `${lesson.id}: ${step.name}'s server`).toBe(true)
        findWorkload(parseSpec(ClientSpec, { ...step.spec, port: 1 }).workload)
        for (const name of step.after ?? []) expect(earlier.has(name), `${lesson.id}: ${step.name} after ${name}`).toBe(true)
        earlier.add(step.name)
      }
      expect(lesson.checkpoints.length).toBeGreaterThan(0)
    }
  })

  it('an unknown lesson is a coded error that names the known ones', () => {
    expect(() => findLesson('nope')).toThrow(SockscopeError)
    expect(() => findLesson('nope')).toThrow(/unknown lesson 'nope' \(known: naive-server, threading-tcpserver/)
  })

  it('every text exists in English and in Greek, with the same keys and the same figures in each sentence', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)/g)].map((m) => m[1]).sort()
    for (const lesson of lessons) {
      const [en, el] = LANGUAGES.map((lang) => resources[lang].translation.lessons[lesson.id as keyof typeof resources.en.translation.lessons])
      expect(en, lesson.id).toBeDefined()
      expect(el, lesson.id).toBeDefined()
      expect(en!.steps).toHaveLength(lesson.steps)
      expect(el!.steps).toHaveLength(lesson.steps)
      expect(Object.keys(en!.checkpoints).sort()).toEqual(lesson.checkpoints.map((c) => c.id).sort())
      expect(Object.keys(el!.checkpoints).sort()).toEqual(lesson.checkpoints.map((c) => c.id).sort())
      const [enCheckpoints, elCheckpoints] = [en!.checkpoints as Record<string, string>, el!.checkpoints as Record<string, string>]
      for (const id of Object.keys(enCheckpoints)) expect(placeholders(elCheckpoints[id]!), `${lesson.id}/${id}`).toEqual(placeholders(enCheckpoints[id]!))
      for (const field of ['title', 'summary', 'question', 'answer'] as const) expect(el![field]).not.toBe(en![field])
    }
    expect(Object.keys(resources.el.translation.ui).sort()).toEqual(Object.keys(resources.en.translation.ui).sort())
  })

  it('sentences carry their figures in the language\'s own number format', () => {
    const lesson = findLesson('naive-server')
    const figures = { client: 8, ahead: 7, waited: 3.5, expected: 3.5, delay: 0.5, seedWait: 35 }
    expect(checkpointText(lessonI18n('en'), lesson, 'queue-wait', figures)).toBe(
      "Client 8 waited 3.5 s in the accept queue: at least 3.5 s, the 7 clients ahead of it × 0.5 s (with the seed's 5 s: 35 s).",
    )
    expect(checkpointText(lessonI18n('el'), lesson, 'queue-wait', figures)).toBe(
      'Ο client 8 περίμενε 3,5 s στην ουρά αποδοχής: τουλάχιστον 3,5 s, οι 7 clients πριν από αυτόν × 0,5 s (με τα 5 s του οδηγού: 35 s).',
    )
    expect(lessonTexts(lessonI18n('el'), lesson).title).toBe('Ο απλοϊκός server και η ουρά αποδοχής')
    expect(uiText(lessonI18n('el'), 'seed', { file: '000' })).toBe('οδηγός 000')
  })
})
