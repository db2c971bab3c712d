import type { SockscopeBridge } from '../../preload/api.ts'
import { BRIDGE_NAME } from '../../preload/channels.ts'
import { ipcTransport } from './ipc-transport.ts'
import type { Transport } from './transport.ts'
import { webSocketTransport } from './ws-transport.ts'

/** The one place that knows which host the page runs in: Electron's preload bridge, or a WebSocket. */
export function pickTransport(): Transport {
  const bridge = (globalThis as Record<string, unknown>)[BRIDGE_NAME] as SockscopeBridge | undefined
  return bridge ? ipcTransport(bridge) : webSocketTransport()
}
