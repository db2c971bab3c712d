import { describe, expect, it } from 'vitest'
import { ClientSpec, parseSpec, rangeOf, rangeWords, ServerSpec } from '../../src/servers/spec.ts'

const refusal = (schema: typeof ServerSpec | typeof ClientSpec, input: unknown) => {
  try {
    parseSpec(schema, input)
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message }
  }
  throw new Error('accepted')
}

describe('parseSpec', () => {
  it('refuses a bad value in one sentence a person reads, naming the field in words and the range it takes', () => {
    expect(refusal(ServerSpec, { model: 'fork', port: 70000 })).toEqual({ code: 'BAD_OPTION', message: 'port must be an integer from 0 to 65535, not 70000' })
    expect(refusal(ServerSpec, { model: 'fork', maxLength: 0 }).message).toBe('max length must be an integer from 1 to 1073741824, not 0')
    expect(refusal(ServerSpec, { model: 'fork', delay: 'soon' }).message).toBe("delay must be a number from 0 to 3600, not 'soon'")
    expect(refusal(ServerSpec, { model: 'fork', reap: 'sometimes' }).message).toBe("reap must be one of immediate, on-accept, never, not 'sometimes'")
    expect(refusal(ServerSpec, { model: '' }).message).toBe('model must not be empty')
    expect(refusal(ClientSpec, { port: 9, words: [] }).message).toBe('words must have at least 1 item')
    expect(refusal(ClientSpec, { port: 9, account: 'a:b' }).message).toBe('account: an account name has no colon or line break')
  })

  it('caps live children and threads at 64 unless asked, and at most 1000', () => {
    expect(parseSpec(ServerSpec, { model: 'fork' })).toMatchObject({ maxChildren: 64, maxThreads: 64 })
    expect(parseSpec(ServerSpec, { model: 'thread', maxThreads: 1000 }).maxThreads).toBe(1000)
    expect(refusal(ServerSpec, { model: 'fork', maxChildren: 5000 }).message).toBe('max children must be an integer from 1 to 1000, not 5000')
    expect(refusal(ServerSpec, { model: 'thread', maxThreads: 0 }).message).toBe('max threads must be an integer from 1 to 1000, not 0')
  })

  it('takes a number field’s range from its schema, for the CLI’s flags to say the same', () => {
    expect(rangeOf(ServerSpec.shape.port)).toEqual({ min: 0, max: 65535, integer: true })
    expect(rangeWords(rangeOf(ClientSpec.shape.timeout))).toBe('a number from 0.001 to 3600')
    expect(rangeWords({ min: 20, integer: true })).toBe('an integer ≥ 20')
  })
})
