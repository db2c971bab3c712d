import { describe, expect, it } from 'vitest'
import { lookupBySignal } from '../../../src/servers/os/lookup.ts'

describe('lookupBySignal (the ps and Windows sources)', () => {
  it('finds a live process and not a pid that names none', async () => {
    expect(await lookupBySignal(process.pid)).toEqual({ kind: 'process' })
    expect(await lookupBySignal(2 ** 22 + 777)).toEqual({ kind: 'none' })
  })
})
