import type { BlockReason } from '../../servers/events.ts'
import type { Phase } from '../model/derive.ts'

export type ThemeName = 'dark' | 'light'

/** Colours of the canvas, per theme; the CSS of the rest of the UI uses the same values. */
export interface Palette {
  background: string
  laneAlt: string
  groupBg: string
  grid: string
  gridStrong: string
  text: string
  textMuted: string
  selection: string
  selectionEdge: string
  now: string
  /** The replay's playhead, when it is not pinned to now. */
  playhead: string
  /** Laid over what comes after the playhead. */
  future: string
  queued: string
  spawn: string
  working: string
  blocked: Record<BlockReason, string>
  zombie: string
  send: string
  recv: string
  mark: string
  error: string
  reap: string
  fork: string
  wakeup: string
}

const shared = {
  spawn: '#a78bfa',
  working: '#2fbf71',
  // select: an idle event loop, waiting on all its sockets at once (not any one connection's recv).
  blocked: { sleep: '#f5a524', recv: '#3b9eff', send: '#ff6fae', accept: '#7f8da3', lock: '#ef4444', select: '#4f5fc4' },
  zombie: '#ef4444',
  error: '#ef4444',
  fork: '#a78bfa',
  reap: '#2fbf71',
} satisfies Partial<Palette>

export const PALETTES: Record<ThemeName, Palette> = {
  dark: {
    ...shared,
    background: '#0f1218',
    laneAlt: '#131720',
    groupBg: '#1a202b',
    grid: '#222a37',
    gridStrong: '#2e3849',
    text: '#e3e8f0',
    textMuted: '#8f9ab0',
    selection: 'rgba(96, 165, 250, 0.16)',
    selectionEdge: '#60a5fa',
    now: '#f472b6',
    playhead: '#fbbf24',
    future: 'rgba(15, 18, 24, 0.62)',
    queued: '#8792a6',
    send: '#ff9f43',
    recv: '#2dd4bf',
    mark: '#f1f5f9',
    wakeup: '#facc15',
  },
  light: {
    ...shared,
    working: '#1f9d55',
    blocked: { ...shared.blocked, sleep: '#e69500', recv: '#2b7fe0', select: '#5a5fc8' },
    background: '#ffffff',
    laneAlt: '#f6f8fb',
    groupBg: '#eceff5',
    grid: '#e6e9f0',
    gridStrong: '#cfd5e0',
    text: '#1b2230',
    textMuted: '#5d6679',
    selection: 'rgba(37, 99, 235, 0.10)',
    selectionEdge: '#2563eb',
    now: '#db2777',
    playhead: '#d97706',
    future: 'rgba(255, 255, 255, 0.66)',
    queued: '#8a94a7',
    send: '#ea7a0c',
    recv: '#0d9488',
    mark: '#1b2230',
    wakeup: '#ca8a04',
  },
}

/** The fill of a phase; hatched phases (waiting, zombie) are drawn with stripes. */
export function phaseColor(palette: Palette, phase: Pick<Phase, 'kind' | 'on'>): string {
  switch (phase.kind) {
    case 'queued':
      return palette.queued
    case 'spawn':
    case 'starting':
      return palette.spawn
    case 'blocked':
    case 'sleeping':
      return palette.blocked[phase.on ?? 'sleep'] ?? palette.blocked.sleep
    case 'ready':
      return palette.blocked.recv
    case 'zombie':
      return palette.zombie
    case 'alive':
    case 'connected':
      return palette.queued
    default:
      return palette.working
  }
}

/** Waiting for the server to get to it (the accept queue, a ready socket the loop has not served) and zombies. */
export function isHatched(kind: Phase['kind']): boolean {
  return kind === 'queued' || kind === 'ready' || kind === 'zombie'
}

export type LegendSample =
  | { type: 'bar'; color: (p: Palette) => string; hatched?: boolean }
  | { type: 'tick'; color: (p: Palette) => string; below?: boolean }
  | { type: 'glyph'; glyph: string; color: (p: Palette) => string }

export interface LegendEntry {
  id: string
  label: string
  help: string
  sample: LegendSample
}

/** Every colour and mark the timeline draws, in the order the legend lists them. */
export const LEGEND: readonly LegendEntry[] = [
  { id: 'queued', label: 'in accept queue', help: 'connected, not yet accepted by the server', sample: { type: 'bar', color: (p) => p.queued, hatched: true } },
  { id: 'spawn', label: 'starting child / thread', help: 'accepted; the process or thread that will serve it is starting', sample: { type: 'bar', color: (p) => p.spawn } },
  { id: 'working', label: 'running', help: 'the handler runs (not blocked)', sample: { type: 'bar', color: (p) => p.working } },
  { id: 'sleep', label: 'blocked: sleep', help: 'the handler sleeps (the seeds\' time.sleep)', sample: { type: 'bar', color: (p) => p.blocked.sleep } },
  { id: 'recv', label: 'blocked: recv', help: 'waiting for bytes from the client (a loop\'s connection: parked, the loop serves the others; asyncio: await)', sample: { type: 'bar', color: (p) => p.blocked.recv } },
  { id: 'ready', label: 'ready, loop busy', help: 'its client has sent: the bytes are there, and the connection waits for its event loop to get to it', sample: { type: 'bar', color: (p) => p.blocked.recv, hatched: true } },
  { id: 'send', label: 'blocked: send', help: 'waiting for the send buffer to drain', sample: { type: 'bar', color: (p) => p.blocked.send } },
  { id: 'accept', label: 'blocked: accept', help: 'the server waits for the next connection', sample: { type: 'bar', color: (p) => p.blocked.accept } },
  { id: 'lock', label: 'blocked: lock', help: 'waiting for a lock another thread holds', sample: { type: 'bar', color: (p) => p.blocked.lock } },
  { id: 'select', label: 'waiting in select', help: 'an event loop with nothing to run: it waits in select() / epoll on all its sockets at once (or for a timer)', sample: { type: 'bar', color: (p) => p.blocked.select } },
  { id: 'zombie', label: 'zombie', help: 'exited, not yet reaped by its parent', sample: { type: 'bar', color: (p) => p.zombie, hatched: true } },
  { id: 'send-tick', label: 'send (height = bytes)', help: 'server side above the bar, client side below', sample: { type: 'tick', color: (p) => p.send } },
  { id: 'recv-tick', label: 'recv (height = bytes)', help: 'server side above the bar, client side below', sample: { type: 'tick', color: (p) => p.recv, below: true } },
  { id: 'connect', label: 'client connect', help: 'the client\'s handshake completed', sample: { type: 'glyph', glyph: '●', color: (p) => p.mark } },
  { id: 'accept-mark', label: 'accept', help: 'the server took it from the queue', sample: { type: 'glyph', glyph: '▶', color: (p) => p.mark } },
  { id: 'close', label: 'close', help: 'server side (top) or client side (bottom) closed', sample: { type: 'glyph', glyph: '■', color: (p) => p.mark } },
  { id: 'reset', label: 'reset (RST)', help: 'the connection ended with a reset, not a FIN: on the side that sent it or saw it', sample: { type: 'glyph', glyph: '✕', color: (p) => p.error } },
  { id: 'fork', label: 'fork', help: 'the server forked a child for a connection', sample: { type: 'glyph', glyph: '▼', color: (p) => p.fork } },
  { id: 'exit', label: 'exit', help: 'a child process ended', sample: { type: 'glyph', glyph: '✕', color: (p) => p.mark } },
  { id: 'reap', label: 'reap', help: 'the parent collected the child\'s exit status', sample: { type: 'glyph', glyph: '◆', color: (p) => p.reap } },
  { id: 'wakeup', label: 'loop wake-up', help: 'an event loop woke up; height = ready set', sample: { type: 'tick', color: (p) => p.wakeup } },
  { id: 'error', label: 'error', help: 'an error on this connection or process', sample: { type: 'glyph', glyph: '▲', color: (p) => p.error } },
]
