import { describe, expect, it } from 'vitest'
import { auditVerdict, balanceIn } from '../../../../src/servers/clients/workloads/bank.ts'
import { WorkloadVerdictSchema } from '../../../../src/servers/clients/verdict.ts'

describe("the bank workload's audit", () => {
  const counts = { account: 'jack', before: 0, deposits: 536, withdrawals: 264, predictable: true }

  it('reads a balance from either of the seed’s replies', () => {
    expect(balanceIn("jack's money: 272")).toBe(272)
    expect(balanceIn('jack has no money!!')).toBe(0)
    expect(balanceIn('error: expected name:dp or name:wd')).toBeUndefined()
  })

  it('says how many updates were lost, and how it knows', () => {
    const verdict = auditVerdict({ ...counts, after: 58 })
    expect(verdict).toEqual({
      check: 'audit',
      status: 'failed',
      headline: '214 updates lost — balance 58, expected 272',
      detail: 'jack had 0; the clients made 536 deposits and 264 withdrawals, so it should have 272; the server says 58.',
      expected: 272,
      actual: 58,
    })
    expect(WorkloadVerdictSchema.parse(verdict)).toEqual(verdict)
    expect(auditVerdict({ ...counts, after: 271 }).headline).toBe('1 update lost — balance 271, expected 272')
  })

  it('is ok when the balance is exact, failed when there are too many, unknown when it cannot tell', () => {
    expect(auditVerdict({ ...counts, after: 272 })).toMatchObject({ status: 'ok', headline: 'no update lost — balance 272, as expected' })
    expect(auditVerdict({ ...counts, after: 280 })).toMatchObject({ status: 'failed', headline: '8 updates too many — balance 280, expected 272' })
    const unknown = auditVerdict({ ...counts, after: 3, predictable: false })
    expect(unknown).toMatchObject({ status: 'unknown', expected: null, actual: 3, headline: 'balance 3, no exact expectation' })
    expect(unknown.detail).toContain('cannot be predicted')
  })
})
