import { API_PATH, CLOSE_CODES } from '../../servers/web/protocol.ts'
import type { Transport, TransportStatus } from './transport.ts'

/**
 * Web mode: the lab's API over a WebSocket to the page's own origin, reconnecting with a
 * growing delay (the host sends hello and the history again on each connection). A lab
 * served beyond loopback wants its token on the WebSocket too: the page's own URL has it.
 * When the host closes the session on purpose (too many sessions, a page that fell behind),
 * its reason reaches the page as a problem, in the protocol's own message.
 */
export function webSocketTransport(url = defaultUrl()): Transport {
  const messageListeners: ((raw: unknown) => void)[] = []
  const statusListeners: ((status: TransportStatus) => void)[] = []
  let socket: WebSocket | undefined
  let closed = false
  let delay = 250
  const queue: string[] = []
  const status = (s: TransportStatus) => statusListeners.forEach((l) => l(s))

  const open = () => {
    status('connecting')
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      delay = 250
      status('open')
      for (const text of queue.splice(0)) ws.send(text)
    }
    ws.onmessage = (event) => {
      let raw: unknown
      try {
        raw = JSON.parse(String(event.data))
      } catch {
        return
      }
      for (const l of messageListeners) l(raw)
    }
    ws.onclose = (event) => {
      const why = closeProblem(event.code, event.reason)
      if (why) for (const l of messageListeners) l(why)
      status('closed')
      if (closed) return
      setTimeout(open, delay)
      delay = Math.min(delay * 2, 4000)
    }
  }
  queueMicrotask(open)

  return {
    kind: 'web',
    send(request) {
      const text = JSON.stringify(request)
      if (socket?.readyState === WebSocket.OPEN) socket.send(text)
      else queue.push(text)
    },
    onMessage: (l) => void messageListeners.push(l),
    onStatus: (l) => void statusListeners.push(l),
    close() {
      closed = true
      socket?.close()
    },
    resourceUrl: (path) => resourceUrlFor(url, path),
  }
}

/**
 * One of the host's HTTP paths beside its WebSocket: the same host and port, and the same
 * token (the page's own, see tokenQuery), so it is let through as the WebSocket is.
 */
export function resourceUrlFor(socketUrl: string, path: string): string {
  const url = new URL(socketUrl)
  const query = tokenQuery(url.search)
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}${path}${query}`
}

function defaultUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${API_PATH}${tokenQuery(location.search)}`
}

/** `?token=…` from the page's own query, for the WebSocket; empty when the page has none. */
export function tokenQuery(search: string): string {
  const token = new URLSearchParams(search).get('token')
  return token ? `?token=${encodeURIComponent(token)}` : ''
}

/** A close the host made on purpose, as a `problem` message; undefined for any other close. */
export function closeProblem(code: number, reason: string): { type: 'problem'; run: string; code: string; message: string } | undefined {
  const known = Object.entries(CLOSE_CODES).find(([, value]) => value === code)
  if (!known) return undefined
  // The reason is `CODE: sentence`; without one, the code's name says enough.
  const message = reason.replace(/^[A-Z_]+:\s*/, '') || known[0]
  return { type: 'problem', run: 'web', code: known[0], message }
}
