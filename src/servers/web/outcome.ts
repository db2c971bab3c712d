import type { ClientResult } from '../host/protocol.ts'
import type { RunOutcome } from './protocol.ts'

/**
 * What a finished workload computed, for the run's card and the log: how many of its
 * clients were served and how long each took, what went wrong (grouped by error), and
 * its verdict on the server (the bank's audit). The auditor's own connections are checks,
 * not clients: they count neither as ok nor in the times.
 */
export function workloadOutcome(results: readonly ClientResult[]): RunOutcome {
  const clients = results.filter((r) => r.role !== 'audit')
  const audits = results.filter((r) => r.role === 'audit')
  const failed = clients.filter((r) => r.error)
  const served = clients.filter((r) => !r.error).map((r) => r.elapsedMs).sort((a, b) => a - b)
  const outcome: RunOutcome = {
    ok: clients.length - failed.length,
    failed: failed.length,
    elapsedMs: results.reduce((max, r) => Math.max(max, r.elapsedMs), 0),
    latency: served.length ? { min: served[0]!, median: median(served), max: served.at(-1)! } : null,
    errors: groupErrors(failed),
  }
  const auditError = audits.find((r) => r.error)?.error
  if (auditError) outcome.auditError = { code: auditError.code, message: auditError.message }
  const verdict = results.find((r) => r.verdict)?.verdict
  if (verdict) outcome.verdict = verdict
  return outcome
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One entry per error code, most frequent first, with the first message seen for it. */
function groupErrors(failed: readonly ClientResult[]): NonNullable<RunOutcome['errors']> {
  const byCode = new Map<string, { code: string; message: string; count: number }>()
  for (const r of failed) {
    const known = byCode.get(r.error!.code)
    if (known) known.count++
    else byCode.set(r.error!.code, { code: r.error!.code, message: r.error!.message, count: 1 })
  }
  return [...byCode.values()].sort((a, b) => b.count - a.count)
}
