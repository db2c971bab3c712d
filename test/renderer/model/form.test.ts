import { describe, expect, it } from 'vitest'
import type { FieldInfo } from '../../../src/servers/web/protocol.ts'
import { defaultValue, fieldLabel, formatValue, parseValue, visibleFields } from '../../../src/renderer/model/form.ts'

const delay: FieldInfo = { name: 'delay', type: 'number', min: 0, max: 3600, default: 0, required: false }
const count: FieldInfo = { name: 'count', type: 'integer', min: 1, max: 1000, default: 8, required: false }
const words: FieldInfo = { name: 'words', type: 'list', itemType: 'string', default: ['Hello'], required: false }
const ports: FieldInfo = { name: 'ports', type: 'list', itemType: 'integer', required: false }
const reap: FieldInfo = { name: 'reap', type: 'enum', choices: ['immediate', 'on-accept', 'never'], default: 'on-accept', required: false }

describe('spec fields as form inputs', () => {
  it('checks numbers against the field’s bounds', () => {
    expect(parseValue(delay, ' 5 ')).toEqual({ ok: true, value: 5 })
    expect(parseValue(delay, '-1')).toEqual({ ok: false, error: 'at least 0' })
    expect(parseValue(count, '2.5')).toEqual({ ok: false, error: 'a whole number' })
    expect(parseValue(count, 'x')).toMatchObject({ ok: false })
  })

  it('reads lists split on spaces or commas, typed by their items', () => {
    expect(parseValue(words, 'Hello network  world')).toEqual({ ok: true, value: ['Hello', 'network', 'world'] })
    expect(parseValue(ports, '5000, 5001')).toEqual({ ok: true, value: [5000, 5001] })
    expect(parseValue(ports, '5000 x')).toMatchObject({ ok: false })
    expect(formatValue(words, ['a', 'b'])).toBe('a b')
  })

  it('accepts only an enum’s choices', () => {
    expect(parseValue(reap, 'never')).toEqual({ ok: true, value: 'never' })
    expect(parseValue(reap, 'sometimes')).toMatchObject({ ok: false })
    expect(defaultValue(reap)).toBe('on-accept')
  })

  it('labels fields as the catalog words them, and humanises new ones in sentence case', () => {
    expect(fieldLabel({ ...delay, label: 'Delay', unit: 's', help: 'simulated work' })).toEqual({ label: 'Delay', unit: 's', help: 'simulated work' })
    // A field the host says nothing about: its name, in sentence case like every other label.
    expect(fieldLabel({ name: 'maxBacklog', type: 'integer', required: false })).toEqual({ label: 'Max backlog', unit: '', help: '' })
    expect(fieldLabel({ name: 'write_select', type: 'boolean', required: false }).label).toBe('Write select')
    expect(fieldLabel({ ...delay, description: 'from the schema' }).help).toBe('from the schema')
  })

  it('shows the fields the model uses, those every run has, not those set elsewhere', () => {
    const fields = [{ ...delay }, { ...reap }, { name: 'port', type: 'integer', required: false } as FieldInfo, { name: 'host', type: 'string', required: false } as FieldInfo]
    expect(visibleFields(fields, ['app', 'delay'], ['port'], ['host']).map((f) => f.name)).toEqual(['delay', 'port'])
  })
})
