/**
 * The pipeline benchmark's server side: a process started by the lab's ManagedProcess that
 * stamps `count` events (a select server's round trip: block, unblock, recv, send) through
 * the real EventEmitter and ships them as a server host does (JSON lines over process IPC,
 * batches of the emitter's size), as fast as the channel takes them: at most MAX_IN_FLIGHT
 * batches written and not yet taken by the pipe, so the lab's pace sets ours.
 */
import { clockFromEnv } from '../../src/servers/clock.ts'
import { EventEmitter } from '../../src/servers/emitter.ts'
import { toEventLines } from '../../src/servers/event-text.ts'
import type { ChildToLabWire } from '../../src/servers/host/protocol.ts'

const MAX_IN_FLIGHT = 8
let inFlight = 0
let drained: (() => void) | undefined

const send = (message: ChildToLabWire) => {
  inFlight++
  process.send!(message, undefined, {}, () => {
    inFlight--
    drained?.()
  })
}

process.on('message', async (message: { type?: string; count?: number }) => {
  if (message?.type === 'stop') process.exit(0)
  if (message?.type !== 'start-pipeline') return
  const emitter = new EventEmitter({
    clock: clockFromEnv(),
    source: { role: 'server', run: 's1', pid: process.pid, tid: 0 },
    sink: (events, upTo) => send({ type: 'events', lines: toEventLines(events), upTo }),
  })
  const payload = 'p'.repeat(48) + '…'
  for (let i = 0; i < message.count!; i += 4) {
    const conn = `${40000 + (i % 1000)}>5000`
    emitter.emit({ kind: 'block', conn, on: 'recv', waiter: 'task' })
    emitter.emit({ kind: 'unblock', conn, on: 'recv', blockedUs: 12.5, waiter: 'task' })
    emitter.emit({ kind: 'recv', conn, bytes: 64, preview: payload })
    emitter.emit({ kind: 'send', conn, bytes: 64, preview: payload })
    while (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => (drained = r))
  }
  emitter.flush()
  send({ type: 'ready', host: 'done', ports: [] })
})
process.on('disconnect', () => process.exit(0))
