import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { models } from '../../../src/servers/models/index.ts'
import { buildCatalog, describeFields, FIELD_TEXT, forPeople } from '../../../src/servers/web/catalog.ts'
import { humanize } from '../../../src/servers/web/words.ts'

describe('the catalog', () => {
  it('lists every registered model, app and workload with what it uses', () => {
    const catalog = buildCatalog()
    expect(catalog.models.map((m) => m.name)).toEqual(models.map((m) => m.name))
    for (const model of catalog.models) expect(model.summary.length).toBeGreaterThan(0)
    expect(catalog.apps.map((a) => a.name)).toEqual(expect.arrayContaining(['echo', 'echo-time']))
    // An app's own options reach the form: bank's lock.
    expect(catalog.apps.find((a) => a.name === 'bank')!.options).toContain('lock')
    expect(catalog.workloads.map((w) => w.name)).toContain('burst')
  })

  it('describes a spec’s fields from its schema, so new fields need no UI change', () => {
    const fields = describeFields(
      z.object({
        delay: z.number().min(0).max(10).default(1),
        lock: z.boolean().default(false),
        ports: z.array(z.number().int()).optional(),
        mode: z.enum(['a', 'b']).default('a').describe('how it runs'),
        name: z.string(),
      }),
    )
    expect(fields).toEqual([
      { name: 'delay', type: 'number', min: 0, max: 10, default: 1, required: false },
      { name: 'lock', type: 'boolean', default: false, required: false },
      { name: 'ports', type: 'list', itemType: 'integer', required: false },
      { name: 'mode', type: 'enum', choices: ['a', 'b'], default: 'a', description: 'how it runs', required: false },
      { name: 'name', type: 'string', required: true },
    ])
  })
})

describe('the catalog speaks to people, not in flags', () => {
  const catalog = buildCatalog()
  const texts = [
    ...[...catalog.models, ...catalog.apps, ...catalog.workloads].map((e) => [`${e.name}: summary`, e.summary]),
    ...[...catalog.serverFields, ...catalog.clientFields].flatMap((f) => [
      [`${f.name}: label`, f.label ?? ''],
      [`${f.name}: help`, f.help ?? ''],
    ]),
  ]

  it('says no command-line flag anywhere the UI shows', () => {
    expect(texts.filter(([, text]) => /--[a-z]/.test(text!))).toEqual([])
  })

  it('labels every field in sentence case, with the unit of its value', () => {
    for (const field of [...catalog.serverFields, ...catalog.clientFields]) {
      expect(field.label, field.name).toMatch(/^[A-Z][a-z]*( [a-z]+)*$/)
      expect(FIELD_TEXT[field.name], `${field.name} has words of its own`).toBeDefined()
    }
    const field = (name: string) => [...catalog.serverFields, ...catalog.clientFields].find((f) => f.name === name)!
    expect([field('maxLength').label, field('maxLength').unit]).toEqual(['Max length', 'bytes'])
    expect(field('writeSelect').label).toBe('Select for writing')
    expect([field('hold').label, field('hold').unit]).toEqual(['Hold', 's'])
    expect([field('interval').unit, field('gap').unit, field('delay').unit, field('timeout').unit]).toEqual(['ms', 'ms', 's', 's'])
  })

  it('humanises a field it has no words for, and turns flags in messages into labels', () => {
    expect(humanize('maxBacklog')).toBe('Max backlog')
    expect(humanize('write-select')).toBe('Write select')
    // The lab's messages are the CLI's: models/listen.ts, spec.ts's parseSpec.
    expect(forPeople('port 5000 on 127.0.0.1 is already in use; pick another or use --port 0')).toBe('port 5000 on 127.0.0.1 is already in use; pick another, or set Port to 0 (any free port)')
    expect(forPeople('--count: Too big: expected number to be <=1000')).toBe('Clients: Too big: expected number to be <=1000')
    expect(forPeople('--mix.0: Invalid option')).toBe('Mix: Invalid option')
    expect(forPeople('count must be an integer from 1 to 1000, not 5000')).toBe('Clients must be an integer from 1 to 1000, not 5000')
    expect(forPeople('max length must be an integer from 1 to 1073741824, not 0')).toBe('Max length must be an integer from 1 to 1073741824, not 0')
    expect(forPeople('--port must be an integer from 0 to 65535, not 70000')).toBe('Port must be an integer from 0 to 65535, not 70000')
    expect(forPeople('bad client: leaves after --hold s')).toBe('bad client: leaves after “Hold”')
    expect(forPeople('line longer than 10 bytes (--max-length)')).toBe('line longer than 10 bytes (“Max length”)')
    expect(forPeople('nothing to change here')).toBe('nothing to change here')
  })
})
