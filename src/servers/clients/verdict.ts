import { z } from 'zod'

/**
 * A workload's conclusion about the server, as a person reads it: `ok` is what correct
 * service gives (the bank's balance is exact), `failed` is the server getting it wrong
 * (updates lost), `unknown` is no exact expectation to compare with. Runtime-neutral (zod
 * only): the client driver makes it, the lab checks it, the web API and the renderer carry it.
 */
export const WorkloadVerdictSchema = z.object({
  /** What was checked: 'audit' for the bank's final balance. */
  check: z.string(),
  status: z.enum(['ok', 'failed', 'unknown']),
  /** One short sentence, the conclusion: `214 updates lost — balance 58, expected 272`. */
  headline: z.string(),
  /** How it was worked out, in words: the counts and what the server said. */
  detail: z.string(),
  expected: z.number().nullable(),
  actual: z.number().nullable(),
})
export type WorkloadVerdict = z.infer<typeof WorkloadVerdictSchema>
