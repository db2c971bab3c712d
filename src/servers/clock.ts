/**
 * One monotonic clock for every process of a run. process.hrtime reads CLOCK_MONOTONIC,
 * which on one machine is the same in every process, so a run's origin (in ns) handed to
 * each child process makes their timestamps directly comparable.
 */

export const ORIGIN_ENV = 'SOCKSCOPE_ORIGIN_NS'

/** The current monotonic time in ns. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint()
}

export interface Clock {
  /** Monotonic ns of time zero. */
  readonly originNs: bigint
  /** µs since the origin, with sub-µs precision. */
  nowUs(): number
}

export function createClock(originNs: bigint = monotonicNs()): Clock {
  return {
    originNs,
    nowUs: () => Number(process.hrtime.bigint() - originNs) / 1000,
  }
}

/** The clock a child process uses: its parent's origin when given, else its own start. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const raw = env[ORIGIN_ENV]
  return createClock(raw && /^\d+$/.test(raw) ? BigInt(raw) : monotonicNs())
}
