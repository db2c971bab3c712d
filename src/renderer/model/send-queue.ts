import type { OsSocket, SocketsEvent } from '../../servers/events.ts'
import { parseConnId } from './derive.ts'
import { type EventStore, kindCode } from './event-store.ts'

/**
 * What the kernel held unsent toward a connection's client while the server waited to
 * send: the server's socket for `clientPort>serverPort` in the OS sampler's socket tables
 * (`ss`'s Send-Q). It is the evidence that a blocked send is the peer's doing: the bytes
 * are written, the kernel cannot pass them on, because the client's receive window is full.
 */
export interface SendQueueReading {
  /** The most the send queue held in [from, to], and when the sampler saw it. */
  bytes: number
  t: number
  /** The server process whose table it is. */
  pid: number
}

const SOCKETS = kindCode('sockets')
/** A hover must stay instant: a range past this many events is read from its end only. */
const SCAN_LIMIT = 200_000

export function sendQueueDuring(store: EventStore, conn: string, from: number, to: number): SendQueueReading | null {
  const { clientPort, serverPort } = parseConnId(conn)
  if (!clientPort || !serverPort) return null
  const end = store.upperBound(to)
  const start = Math.max(store.upperBound(from), end - SCAN_LIMIT)
  let best: SendQueueReading | null = null
  for (let i = start; i < end; i++) {
    const seq = store.order[i]!
    if (store.kind[seq] !== SOCKETS) continue
    const e = store.event(seq) as SocketsEvent
    const socket = e.sockets?.find((s) => isServerSide(s, clientPort, serverPort))
    if (socket?.txQueue == null) continue
    if (!best || socket.txQueue > best.bytes) best = { bytes: socket.txQueue, t: e.t, pid: e.pid }
  }
  return best
}

function isServerSide(s: OsSocket, clientPort: number, serverPort: number): boolean {
  return s.local.endsWith(`:${serverPort}`) && s.remote.endsWith(`:${clientPort}`)
}
