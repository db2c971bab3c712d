import { API_PATH } from '../../servers/web/protocol.ts'
import type { Transport, TransportStatus } from './transport.ts'

/**
 * Web mode: the lab's API over a WebSocket to the page's own origin, reconnecting with a
 * growing delay (the host sends hello and the history again on each connection).
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
    ws.onclose = () => {
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
  }
}

function defaultUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}${API_PATH}`
}
