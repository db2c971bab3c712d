import { z } from 'zod'
import { apps } from '../apps/index.ts'
import { workloads } from '../clients/workloads/index.ts'
import { models } from '../models/index.ts'
import { ClientSpec, ServerSpec } from '../spec.ts'
import type { Catalog, FieldInfo } from './protocol.ts'

interface JsonSchemaProp {
  type?: string
  enum?: unknown[]
  default?: unknown
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  description?: string
  items?: JsonSchemaProp
  anyOf?: JsonSchemaProp[]
}

/**
 * The fields of a spec schema as form fields, read from its JSON Schema (zod's own
 * conversion), so that a field another engineer adds to ServerSpec / ClientSpec shows up
 * in the UI with its type, default, bounds and choices.
 */
export function describeFields(schema: z.ZodObject): FieldInfo[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchemaProp>
    required?: string[]
  }
  const required = new Set(json.required ?? [])
  return Object.entries(json.properties ?? {}).map(([name, raw]) => {
    // Optional/nullable fields come as anyOf [T, null]: describe T.
    const prop = raw.anyOf?.find((p) => p.type !== 'null') ?? raw
    const field: FieldInfo = { name, type: fieldType(prop), required: required.has(name) }
    if (prop.default !== undefined || raw.default !== undefined) field.default = raw.default ?? prop.default
    const min = prop.minimum ?? prop.exclusiveMinimum
    const max = prop.maximum ?? prop.exclusiveMaximum
    if (min !== undefined) field.min = min
    if (max !== undefined) field.max = max
    if (prop.enum) field.choices = prop.enum.map(String)
    if (field.type === 'list') field.itemType = prop.items?.type === 'integer' ? 'integer' : prop.items?.type === 'number' ? 'number' : 'string'
    const description = raw.description ?? prop.description
    if (description) field.description = description
    return field
  })
}

function fieldType(prop: JsonSchemaProp): FieldInfo['type'] {
  if (prop.enum) return 'enum'
  switch (prop.type) {
    case 'integer':
      return 'integer'
    case 'number':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'array':
      return 'list'
    default:
      return 'string'
  }
}

/** Everything the UI can offer, straight from the registries. */
export function buildCatalog(): Catalog {
  return {
    models: models.map((m) => ({ name: m.name, summary: m.summary, options: [...m.options].map(String) })),
    apps: apps.map((a) => ({ name: a.name, summary: a.summary, options: [...a.options].map(String) })),
    workloads: workloads.map((w) => ({ name: w.name, summary: w.summary, options: [...w.options].map(String) })),
    serverFields: describeFields(ServerSpec),
    clientFields: describeFields(ClientSpec),
  }
}
