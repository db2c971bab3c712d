import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { sendQueueDuring } from '../../../src/renderer/model/send-queue.ts'
import { ev, osSocket, server, socketsEvent } from '../events.ts'

/** The server's side of 40000>5000 (and another connection's), as the sampler lists them at t. */
const table = (t: number, queued: number, other = 0) =>
  socketsEvent(t, 7, [
    osSocket('127.0.0.1:5000', '0.0.0.0:*', 'LISTEN'),
    osSocket('127.0.0.1:5000', '127.0.0.1:40000', 'ESTABLISHED', { txQueue: queued }),
    osSocket('127.0.0.1:5000', '127.0.0.1:40001', 'ESTABLISHED', { txQueue: other }),
    // The client's own end of the same connection: its queue is not the server's.
    osSocket('127.0.0.1:40000', '127.0.0.1:5000', 'ESTABLISHED', { txQueue: 999_999_999 }),
  ])

describe('sendQueueDuring (the kernel’s Send-Q behind a blocked send)', () => {
  it("finds the most the server's socket held unsent while it waited, and when", () => {
    const store = new EventStore()
    store.append([table(0.5e6, 10), ev('block', 1e6, server(), { conn: '40000>5000', on: 'send' }), table(1.5e6, 2_000_000, 5), table(2.5e6, 2_600_000, 7), table(3.5e6, 2_500_000)])
    expect(sendQueueDuring(store, '40000>5000', 1e6, 4e6)).toEqual({ bytes: 2_600_000, t: 2.5e6, pid: 7 })
    // Readings outside the wait are not its evidence.
    expect(sendQueueDuring(store, '40000>5000', 1e6, 2e6)).toEqual({ bytes: 2_000_000, t: 1.5e6, pid: 7 })
    expect(sendQueueDuring(store, '40000>5000', 0.6e6, 1.4e6)).toBeNull()
    // Another connection's socket, and an unknown one.
    expect(sendQueueDuring(store, '40001>5000', 1e6, 4e6)).toEqual({ bytes: 7, t: 2.5e6, pid: 7 })
    expect(sendQueueDuring(store, '40002>5000', 1e6, 4e6)).toBeNull()
  })

  it('says nothing for a table the OS would not show', () => {
    const store = new EventStore()
    store.append([socketsEvent(1e6, 7, null)])
    expect(sendQueueDuring(store, '40000>5000', 0, 2e6)).toBeNull()
  })
})
