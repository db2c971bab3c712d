import { describe, expect, it } from 'vitest'
import type { RunInfo, RunOutcome } from '../../../src/servers/web/protocol.ts'
import { latencyText, outcomeLines, outcomeSentence, outcomeTone } from '../../../src/renderer/model/outcome.ts'

const served = (over: Partial<RunOutcome> = {}): RunOutcome => ({ ok: 8, failed: 0, elapsedMs: 1640, latency: { min: 1210, median: 1500, max: 1640 }, errors: [], ...over })
const lost = {
  check: 'audit',
  status: 'failed' as const,
  headline: '214 updates lost — balance 58, expected 272',
  detail: 'jack had 0; the clients made 536 deposits and 264 withdrawals, so it should have 272; the server says 58.',
  expected: 272,
  actual: 58,
}

describe('a finished workload, in words', () => {
  it('says how many clients were served and how long each took', () => {
    expect(outcomeLines(served())).toEqual([{ what: 'clients', tone: 'plain', text: 'All 8 clients were served; each took 1.21 s to 1.64 s (median 1.50 s)' }])
    expect(outcomeLines(served({ ok: 1, latency: { min: 42, median: 42, max: 42 } }))[0]!.text).toBe('The client was served; it took 42 ms')
    expect(latencyText(null)).toBe('')
  })

  // Seed 002's whole point: the audit's verdict is the first thing the card says, and a
  // failed one stands out.
  it('puts the audit first, and a failed one makes the whole result failed', () => {
    const lines = outcomeLines(served({ verdict: lost }))
    expect(lines[0]).toEqual({ what: 'audit', tone: 'failed', text: 'Audit: 214 updates lost — balance 58, expected 272', detail: lost.detail })
    expect(outcomeTone(lines)).toBe('failed')
    const exact = outcomeLines(served({ verdict: { ...lost, status: 'ok', headline: 'no update lost — balance 272, as expected', actual: 272 } }))
    expect(outcomeTone(exact)).toBe('ok')
    expect(outcomeTone(outcomeLines(served({ verdict: { ...lost, status: 'unknown', expected: null } })))).toBe('unknown')
    expect(outcomeTone(outcomeLines(served()))).toBe('plain')
  })

  it('names the errors of the clients that failed, and an audit that could not be made', () => {
    const lines = outcomeLines(
      served({ ok: 5, failed: 3, errors: [{ code: 'TIMEOUT', message: 'no reply within 60 s', count: 3 }], auditError: { code: 'CONNECTION_RESET', message: 'the server closed the connection' } }),
    )
    expect(lines.map((l) => [l.what, l.tone, l.text])).toEqual([
      ['audit', 'failed', 'Audit failed: the server closed the connection (CONNECTION_RESET)'],
      ['clients', 'failed', '5 of 8 clients served, 3 failed; the served ones took 1.21 s to 1.64 s (median 1.50 s)'],
      ['errors', 'failed', '3 clients: no reply within 60 s (TIMEOUT)'],
    ])
    const none = outcomeLines({ ok: 0, failed: 2, elapsedMs: 5, latency: null, errors: [{ code: 'CONNECTION_REFUSED', message: 'nothing listens', count: 2 }] })
    expect(none.map((l) => l.text)).toEqual(['0 of 2 clients served, 2 failed', 'Every client: nothing listens (CONNECTION_REFUSED)'])
  })

  it('reads as one line in the log', () => {
    const run: RunInfo = { id: 'c2', kind: 'clients', pid: 9, state: 'finished', spec: { workload: 'bank', count: 8 }, startedAt: 0, endedAt: 5, outcome: served({ verdict: lost }) }
    expect(outcomeSentence(run)).toBe('c2 bank ×8 finished: audit: 214 updates lost — balance 58, expected 272 · all 8 clients were served; each took 1.21 s to 1.64 s (median 1.50 s)')
    expect(outcomeSentence({ ...run, outcome: undefined })).toBe('')
  })
})
