/**
 * What the preload exposes to the page (as `window.sockscope`): two functions, no
 * Electron or Node objects. The renderer imports this type only.
 */
export interface SockscopeBridge {
  /** Send one API request (see src/servers/web/protocol.ts); resolves with the response message. */
  request(message: unknown): Promise<unknown>
  /** Receive host messages; the first call tells main the page is ready. Returns an unsubscribe. */
  subscribe(listener: (message: unknown) => void): () => void
}
