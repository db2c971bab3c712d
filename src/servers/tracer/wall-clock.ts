import type { Clock } from '../clock.ts'

/**
 * strace stamps each line with the wall clock (CLOCK_REALTIME, µs since the epoch); every
 * other event is on the run's monotonic clock (clock.ts). This measures the wall clock's
 * reading at the run's origin, so that a strace time maps to the run's: `wall - offset`.
 *
 * Precision: Date.now() ticks once a millisecond, so this spins until it ticks and reads
 * the monotonic clock at that instant: the two readings are then within one loop turn
 * (well under 10 µs) of each other, at most 1 ms of spinning. The two clocks then drift
 * apart only by what NTP slews the wall clock (at most 500 ppm, usually a few ppm: under
 * 0.1 ms over a ten-minute run), and a wall-clock step (someone setting the time) during
 * a run would shift the traced events by that step.
 */
export function wallOffsetUs(clock: Clock): number {
  const start = Date.now()
  let now = start
  while (now === start) now = Date.now()
  const runUs = clock.nowUs()
  return now * 1000 - runUs
}
