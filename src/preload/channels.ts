/**
 * The only IPC channels between the renderer's preload and the main process. The preload's
 * bridge takes no channel name from the page, and main listens on these alone.
 */
export const CHANNELS = {
  /** invoke: one API request, answered with its response message. */
  request: 'sockscope:request',
  /** send: the page is ready for messages (hello, history, then live batches). */
  subscribe: 'sockscope:subscribe',
  /** main → page: host messages (event batches, run lists, problems). */
  message: 'sockscope:message',
  /** invoke: export the page's recording as a video or a picture (save dialog, then render). */
  export: 'sockscope:export',
  /** main → page: an export's progress lines. */
  exportProgress: 'sockscope:export-progress',
} as const

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS]

export const ALLOWED_CHANNELS: readonly Channel[] = Object.values(CHANNELS)

/** The name under which the preload exposes the bridge on `window`. */
export const BRIDGE_NAME = 'sockscope'
