import { describe, expect, it } from 'vitest'
import type { ClientResult } from '../../../src/servers/host/protocol.ts'
import { workloadOutcome } from '../../../src/servers/web/outcome.ts'
import { RunOutcomeSchema } from '../../../src/servers/web/protocol.ts'

const result = (client: number, elapsedMs: number, over: Partial<ClientResult> = {}): ClientResult => ({ client, replies: [], elapsedMs, ...over })

describe('what a finished workload computed', () => {
  it('counts its clients and their times, not the auditor’s checks', () => {
    const verdict = { check: 'audit', status: 'failed' as const, headline: '214 updates lost — balance 58, expected 272', detail: '…', expected: 272, actual: 58 }
    const outcome = workloadOutcome([
      result(0, 3, { role: 'audit' }),
      result(1, 100),
      result(2, 300),
      result(3, 200),
      result(4, 400),
      result(5, 2000, { role: 'audit', verdict }),
    ])
    expect(outcome).toEqual({ ok: 4, failed: 0, elapsedMs: 2000, latency: { min: 100, median: 250, max: 400 }, errors: [], verdict })
    expect(RunOutcomeSchema.parse(outcome)).toEqual(outcome)
  })

  it('groups the errors by code, most frequent first, and says when the audit failed', () => {
    const reset = { code: 'CONNECTION_RESET' as const, message: 'the server closed the connection' }
    const outcome = workloadOutcome([
      result(0, 3, { role: 'audit', error: { code: 'TIMEOUT' as const, message: 'no reply' } }),
      result(1, 10, { error: { code: 'TIMEOUT' as const, message: 'no reply within 1 s' } }),
      result(2, 10, { error: reset }),
      result(3, 10, { error: { ...reset, message: 'another wording' } }),
      result(4, 50),
    ])
    expect(outcome.ok).toBe(1)
    expect(outcome.failed).toBe(3)
    expect(outcome.latency).toEqual({ min: 50, median: 50, max: 50 })
    expect(outcome.errors).toEqual([
      { code: 'CONNECTION_RESET', message: 'the server closed the connection', count: 2 },
      { code: 'TIMEOUT', message: 'no reply within 1 s', count: 1 },
    ])
    expect(outcome.auditError).toEqual({ code: 'TIMEOUT', message: 'no reply' })
    expect(outcome.verdict).toBeUndefined()
    // No client served: no times to tell.
    expect(workloadOutcome([result(1, 5, { error: reset })]).latency).toBeNull()
  })
})
