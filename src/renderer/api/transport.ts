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
}
