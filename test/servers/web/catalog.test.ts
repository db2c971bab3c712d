import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { models } from '../../../src/servers/models/index.ts'
import { buildCatalog, describeFields } from '../../../src/servers/web/catalog.ts'

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
