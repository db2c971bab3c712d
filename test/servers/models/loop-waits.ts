import { expect } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'

/**
 * What every event loop's own events must say about its waits in select(): each is a block
 * on 'select' of the server's main thread, with no connection, on at least one socket; the
 * next event of that thread is the wake-up that ends it (nothing runs on the thread while
 * it waits), and that wake-up's waitedUs is the wait. Returns the waits and wake-ups paired.
 */
export function loopWaits(events: readonly SockscopeEvent[], pid: number) {
  const thread = events.filter((e) => e.src.role === 'server' && e.src.pid === pid && e.src.tid === 0 && e.kind !== 'listen').sort((a, b) => a.t - b.t)
  const pairs: { block: Extract<SockscopeEvent, { kind: 'block' }>; wakeup: Extract<SockscopeEvent, { kind: 'wakeup' }> }[] = []
  thread.forEach((e, i) => {
    if (e.kind !== 'block' || e.on !== 'select') return
    expect(e.conn, 'a wait in select() is no connection\'s').toBeUndefined()
    expect(e.sockets, 'a wait in select() watches at least the listener').toBeGreaterThanOrEqual(1)
    const next = thread[i + 1]
    // The last wait may be cut by the stop.
    if (!next) return
    expect(next.kind, `what follows the wait in select() at ${e.t}`).toBe('wakeup')
    const wakeup = next as Extract<SockscopeEvent, { kind: 'wakeup' }>
    // The wake-up measures the same wait (to within a few µs of clock reads).
    expect(Math.abs(wakeup.t - e.t - wakeup.waitedUs)).toBeLessThan(50)
    pairs.push({ block: e, wakeup })
  })
  expect(pairs.length).toBeGreaterThan(0)
  return pairs
}
