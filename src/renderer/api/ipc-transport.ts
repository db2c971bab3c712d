import type { SockscopeBridge } from '../../preload/api.ts'
import type { Transport, TransportStatus } from './transport.ts'

/** Electron: the preload's bridge. Requests are answered by invoke; pushes come by subscribe. */
export function ipcTransport(bridge: SockscopeBridge): Transport {
  const messageListeners: ((raw: unknown) => void)[] = []
  const statusListeners: ((status: TransportStatus) => void)[] = []
  const dispatch = (raw: unknown) => messageListeners.forEach((l) => l(raw))
  let unsubscribe: (() => void) | undefined
  queueMicrotask(() => {
    unsubscribe = bridge.subscribe(dispatch)
    statusListeners.forEach((l) => l('open'))
  })
  return {
    kind: 'electron',
    send(request) {
      bridge.request(request).then(dispatch, (err: Error) =>
        dispatch({ type: 'response', id: (request as { id?: number }).id ?? -1, ok: false, error: { code: 'INTERNAL', message: err.message } }),
      )
    },
    onMessage: (l) => void messageListeners.push(l),
    onStatus: (l) => void statusListeners.push(l),
    close: () => unsubscribe?.(),
  }
}
