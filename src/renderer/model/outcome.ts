import type { RunInfo, RunOutcome } from '../../servers/web/protocol.ts'
import { formatDuration } from '../timeline/time-scale.ts'

/**
 * What a finished workload computed, in words: for its card in the run list and for its
 * row in the event log. A failed verdict or failed clients read `failed` (they must stand
 * out); a verdict without an exact expectation reads `unknown`.
 */

export type Tone = 'ok' | 'failed' | 'unknown' | 'plain'

export interface OutcomeLine {
  /** What the line is about, for tests and styling: clients, errors, audit. */
  what: 'clients' | 'errors' | 'audit'
  tone: Tone
  text: string
  /** More detail, shown below it (the audit's working). */
  detail?: string
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** How long the served clients took: `took 1.21 s`, or `took 1.21 s to 1.64 s (median 1.50 s)`. */
export function latencyText(latency: RunOutcome['latency']): string {
  if (!latency) return ''
  const ms = (v: number) => formatDuration(v * 1000)
  if (ms(latency.min) === ms(latency.max)) return `took ${ms(latency.max)}`
  return `took ${ms(latency.min)} to ${ms(latency.max)} (median ${ms(latency.median)})`
}

/** The card's lines for a finished workload, most important last-read first: the verdict, the clients, their errors. */
export function outcomeLines(outcome: RunOutcome): OutcomeLine[] {
  const lines: OutcomeLine[] = []
  const { verdict } = outcome
  if (verdict) lines.push({ what: 'audit', tone: verdict.status, text: `Audit: ${verdict.headline}`, detail: verdict.detail })
  else if (outcome.auditError) lines.push({ what: 'audit', tone: 'failed', text: `Audit failed: ${outcome.auditError.message} (${outcome.auditError.code})` })
  const total = outcome.ok + outcome.failed
  const time = latencyText(outcome.latency)
  if (total > 0) {
    const served = outcome.failed === 0 ? `${total === 1 ? 'The client was' : `All ${total} clients were`} served` : `${outcome.ok} of ${plural(total, 'client')} served, ${outcome.failed} failed`
    lines.push({ what: 'clients', tone: outcome.failed ? 'failed' : 'plain', text: time ? `${served}; ${outcome.failed ? 'the served ones' : total === 1 ? 'it' : 'each'} ${time}` : served })
  }
  for (const error of outcome.errors ?? [])
    lines.push({ what: 'errors', tone: 'failed', text: `${error.count === total ? 'Every client' : plural(error.count, 'client')}: ${error.message} (${error.code})` })
  return lines
}

/** The worst tone among the lines: what the card as a whole says. */
export function outcomeTone(lines: readonly OutcomeLine[]): Tone {
  for (const tone of ['failed', 'unknown', 'ok'] as const) if (lines.some((l) => l.tone === tone)) return tone
  return 'plain'
}

/** A workload's result as one line for the event log. */
export function outcomeSentence(run: RunInfo): string {
  if (!run.outcome) return ''
  const lines = outcomeLines(run.outcome)
  const what = `${String(run.spec.workload ?? 'clients')}${typeof run.spec.count === 'number' ? ` ×${run.spec.count}` : ''}`
  return `${run.id} ${what} finished: ${lines.map((l) => l.text.replace(/^./, (c) => c.toLowerCase())).join(' · ')}`
}
