export type TransportStatus = 'connecting' | 'open' | 'closed'

/**
 * How messages travel between the renderer and its host: a WebSocket in web mode, the
 * preload's bridge in Electron. The rest of the renderer sees only this.
 */
export interface Transport {
  readonly kind: 'web' | 'electron'
  send(request: unknown): void
  onMessage(listener: (raw: unknown) => void): void
  onStatus(listener: (status: TransportStatus) => void): void
  close(): void
  /**
   * Web mode: the URL of one of the host's HTTP paths (a recording, the session's trace),
   * with the page's token when the lab is served beyond loopback. Electron has none: its
   * page reaches the host through requests only (the preload's bridge).
   */
  resourceUrl?(path: string): string
}
