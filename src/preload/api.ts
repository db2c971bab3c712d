/**
 * What the preload exposes to the page (as `window.sockscope`): two functions, no
 * Electron or Node objects. The renderer imports this type only.
 */
export interface SockscopeBridge {
  /** Send one API request (see src/servers/web/protocol.ts); resolves with the response message. */
  request(message: unknown): Promise<unknown>
  /** Receive host messages; the first call tells main the page is ready. Returns an unsubscribe. */
  subscribe(listener: (message: unknown) => void): () => void
  /**
   * Export video… / Export PNG: main asks where to save, then renders `trace` (the page's
   * recording as a trace file) as `ask` says (src/servers/render/export-ask.ts);
   * `onLine` hears its progress (ExportLine). Resolves `{ ok, result }` (null: cancelled) or `{ ok: false, error }`.
   */
  exportFile?(ask: unknown, trace: ArrayBuffer, name: string, onLine: (line: unknown) => void): Promise<unknown>
}
