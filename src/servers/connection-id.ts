import type { ConnId } from './events.ts'

/**
 * The id of one TCP connection, computed the same way on both ends without any
 * coordination: the client's ephemeral port and the server's port. On loopback the pair
 * is unique among live connections; the kernel does not hand the same ephemeral port to
 * two live connections to one server port.
 */
export function connId(clientPort: number, serverPort: number): ConnId {
  return `${clientPort}>${serverPort}`
}

const PREVIEW_BYTES = 48

/** The first bytes of a payload as readable text, control characters escaped. */
export function preview(data: Uint8Array): string {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, PREVIEW_BYTES))
  // Printable ASCII needs no escaping (on the hot path of every recv and send: four regex passes cost more than the rest of the event).
  let plain = true
  for (let i = 0; i < head.length; i++) {
    const c = head[i]!
    if (c < 0x20 || c > 0x7e) {
      plain = false
      break
    }
  }
  if (plain) return data.byteLength > PREVIEW_BYTES ? `${head.toString('latin1')}…` : head.toString('latin1')
  const text = head
    .toString('latin1')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return data.byteLength > PREVIEW_BYTES ? `${text}…` : text
}
