import type { FieldInfo } from '../../servers/web/protocol.ts'
import { humanize } from '../../servers/web/words.ts'

/**
 * Spec fields as form inputs: text in, typed values out, checked against the field's
 * bounds before anything is sent (the lab checks again, with the same schema).
 */

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string }

/**
 * A field's label, hint and unit, as the catalog words them for people (servers/web/
 * catalog.ts); a field the host says nothing about gets its name in sentence case.
 */
export function fieldLabel(field: FieldInfo): { label: string; help: string; unit: string } {
  return { label: field.label ?? humanize(field.name), help: field.help ?? field.description ?? '', unit: field.unit ?? '' }
}

export function defaultValue(field: FieldInfo): unknown {
  if (field.default !== undefined) return field.default
  switch (field.type) {
    case 'boolean':
      return false
    case 'enum':
      return field.choices?.[0]
    case 'list':
      return []
    case 'number':
    case 'integer':
      return field.min ?? 0
    default:
      return ''
  }
}

/** A value as the text of its input. */
export function formatValue(field: FieldInfo, value: unknown): string {
  if (Array.isArray(value)) return value.join(' ')
  if (value === undefined || value === null) return ''
  return String(value)
}

export function parseValue(field: FieldInfo, text: string | number): Parsed {
  const t = String(text).trim()
  switch (field.type) {
    case 'boolean':
      return { ok: true, value: t === 'true' }
    case 'enum':
      return field.choices?.includes(t) ? { ok: true, value: t } : { ok: false, error: `one of ${field.choices?.join(', ')}` }
    case 'number':
    case 'integer':
      return parseNumber(field, t, field.type === 'integer')
    case 'list': {
      const parts = t.split(/[\s,]+/).filter(Boolean)
      if (field.itemType === 'number' || field.itemType === 'integer') {
        const values: number[] = []
        for (const part of parts) {
          const n = Number(part)
          if (!Number.isFinite(n) || (field.itemType === 'integer' && !Number.isInteger(n))) return { ok: false, error: `'${part}' is not ${field.itemType === 'integer' ? 'an integer' : 'a number'}` }
          values.push(n)
        }
        return { ok: true, value: values }
      }
      if (parts.length === 0 && field.required) return { ok: false, error: 'at least one' }
      return { ok: true, value: parts }
    }
    default:
      if (t === '' && field.required) return { ok: false, error: 'required' }
      return { ok: true, value: t }
  }
}

function parseNumber(field: FieldInfo, t: string, integer: boolean): Parsed {
  if (t === '') return { ok: false, error: 'a number is needed' }
  const n = Number(t)
  if (!Number.isFinite(n)) return { ok: false, error: `'${t}' is not a number` }
  if (integer && !Number.isInteger(n)) return { ok: false, error: 'a whole number' }
  if (field.min !== undefined && n < field.min) return { ok: false, error: `at least ${field.min}` }
  if (field.max !== undefined && n > field.max) return { ok: false, error: `at most ${field.max}` }
  return { ok: true, value: n }
}

/**
 * The fields a form shows: those the chosen model or workload says it uses, plus those
 * every run has (`always`), minus those the form sets itself (`hidden`).
 */
export function visibleFields(fields: readonly FieldInfo[], options: readonly string[], always: readonly string[], hidden: readonly string[]): FieldInfo[] {
  const wanted = new Set([...options, ...always])
  return fields.filter((f) => wanted.has(f.name) && !hidden.includes(f.name))
}
