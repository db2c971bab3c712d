import type { RawData, WebSocket } from 'ws'
import { eventText } from '../event-text.ts'
import type { SockscopeEvent } from '../events.ts'
import type { LabService } from './lab-service.ts'
import { CLOSE_CODES, type HostMessage } from './protocol.ts'

/**
 * What one WebSocket session may cost the lab. A session that does not read what it is
 * sent would otherwise hold every message in the lab's memory (a page that flooded
 * requests and never read the replies took the lab from 335 MB to 997 MB), and one that
 * floods requests would hold the event loop from everyone else.
 */
export interface SessionLimits {
  /** Bytes sent but not yet taken by the page, past which it is not read from and counts as slow. */
  maxBufferedBytes: number
  /** How long it may stay past maxBufferedBytes before it is dropped (a page busy for a moment catches up). */
  graceMs: number
  /** How long the history may wait for the page to take its next part before the page is dropped. */
  replayStallMs: number
  /** Requests waiting to be handled, past which its socket is not read (TCP then slows the page down). */
  maxQueuedRequests: number
}

const MB = 1024 * 1024

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxBufferedBytes: 8 * MB,
  graceMs: 3000,
  replayStallMs: 10_000,
  maxQueuedRequests: 256,
}

/** Past this many times maxBufferedBytes a session is dropped at once, grace or not: the hard bound per session. */
const HARD_FACTOR = 4
/** The next part of the history goes out only when the page has less than this unread. */
const REPLAY_ROOM = 1 * MB
/** Requests handled at once per session (listListening waits on /proc; the rest answer at once). */
const MAX_IN_FLIGHT = 16
/** Requests handled per turn of the event loop, so another session's request waits for at most this many. */
const REQUESTS_PER_TURN = 32
const WATCH_MS = 100

/** One serialization per message, however many sessions it is broadcast to. */
const serialized = new WeakMap<HostMessage, string>()
export function toText(message: HostMessage): string {
  let text = serialized.get(message)
  if (text === undefined) {
    text = message.type === 'events' ? eventsText(message.now, message.events) : JSON.stringify(message)
    serialized.set(message, text)
  }
  return text
}

/** As JSON.stringify would write the message, with each event's text as it arrived from its process (event-text.ts) rather than serialized again. */
function eventsText(now: number, events: readonly SockscopeEvent[]): string {
  let text = `{"type":"events","now":${JSON.stringify(now)},"events":[`
  for (let i = 0; i < events.length; i++) text += (i ? ',' : '') + eventText(events[i]!)
  return text + ']}'
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/**
 * One page's WebSocket to the lab: its requests, handled a slice per turn; its output,
 * bounded (SessionLimits). A session that stops reading is first not read from, then
 * dropped with a close code and the reason SLOW_CONSUMER, and a line on the host's log;
 * the lab and the other sessions go on.
 */
export class WebSession {
  private readonly ws: WebSocket
  private readonly service: LabService
  private readonly limits: SessionLimits
  private readonly peer: string
  private readonly log: (line: string) => void
  private readonly detach: () => void
  private readonly queue: unknown[] = []
  private inFlight = 0
  private pumping = false
  private slotFree: (() => void) | undefined
  private overSince: number | undefined
  private watchTimer: NodeJS.Timeout | undefined
  private dropped = false

  constructor(ws: WebSocket, service: LabService, options: { limits: SessionLimits; peer: string; log: (line: string) => void }) {
    this.ws = ws
    this.service = service
    this.limits = options.limits
    this.peer = options.peer
    this.log = options.log
    ws.on('message', (data, isBinary) => this.receive(data, isBinary))
    ws.on('close', () => this.closed())
    this.detach = service.attach({ send: (message) => this.send(message), ready: () => this.ready() })
  }

  private get open(): boolean {
    return !this.dropped && this.ws.readyState === this.ws.OPEN
  }

  private send(message: HostMessage): void {
    if (!this.open) return
    this.ws.send(toText(message))
    this.watch()
  }

  /** For the history: true once the page has room for its next part; false if the session is gone. */
  private async ready(): Promise<boolean> {
    const since = Date.now()
    while (this.open) {
      if (this.ws.bufferedAmount < REPLAY_ROOM) return true
      if (Date.now() - since > this.limits.replayStallMs) {
        this.drop(`it took none of the history for ${this.limits.replayStallMs / 1000} s`)
        return false
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return false
  }

  private watch(): void {
    if (!this.open) return
    const buffered = this.ws.bufferedAmount
    const { maxBufferedBytes, graceMs } = this.limits
    if (buffered > HARD_FACTOR * maxBufferedBytes) return this.drop(`${mb(buffered)} unread, past ${HARD_FACTOR} × the ${mb(maxBufferedBytes)} bound`)
    if (buffered > maxBufferedBytes) {
      this.overSince ??= Date.now()
      if (Date.now() - this.overSince > graceMs) return this.drop(`more than ${mb(maxBufferedBytes)} unread for ${graceMs / 1000} s`)
    } else this.overSince = undefined
    this.updateReading()
    // While it is behind, look again without waiting for the next message to it: to drop it, or to read it again.
    if (this.overSince !== undefined)
      this.watchTimer ??= setTimeout(() => {
        this.watchTimer = undefined
        this.watch()
      }, WATCH_MS)
  }

  /** Read the page's requests only while it has room for the replies and few are waiting. */
  private updateReading(): void {
    if (!this.open) return
    const read = this.queue.length < this.limits.maxQueuedRequests && this.ws.bufferedAmount <= this.limits.maxBufferedBytes
    if (read && this.ws.isPaused) this.ws.resume()
    else if (!read && !this.ws.isPaused) this.ws.pause()
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (!this.open) return
    let raw: unknown
    try {
      raw = isBinary ? undefined : JSON.parse(String(data))
    } catch {
      raw = undefined
    }
    this.queue.push(raw)
    this.updateReading()
    void this.pump()
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    let handled = 0
    while (this.queue.length && this.open) {
      if (this.inFlight >= MAX_IN_FLIGHT) {
        await new Promise<void>((resolve) => (this.slotFree = resolve))
        continue
      }
      const raw = this.queue.shift()
      this.inFlight++
      void this.service.handle(raw).then((reply) => {
        this.inFlight--
        this.send(reply)
        const wake = this.slotFree
        this.slotFree = undefined
        wake?.()
      })
      if (++handled % REQUESTS_PER_TURN === 0) await nextTurn()
    }
    this.pumping = false
    this.updateReading()
  }

  /** Drop a page that does not read: the lab keeps nothing more for it, and says why where it can. */
  private drop(why: string): void {
    if (this.dropped) return
    this.dropped = true
    this.detach()
    this.queue.length = 0
    this.log(`sockscope web: dropped the session from ${this.peer}: it did not read what the lab sent (${why}); the lab and other sessions go on (SLOW_CONSUMER)`)
    // The close frame queues behind what the page has not read: it learns why if it reads again.
    this.ws.close(CLOSE_CODES.SLOW_CONSUMER, 'SLOW_CONSUMER: this page fell behind reading what the lab sent, so the lab dropped it; connect again to get it all anew')
    this.ws.resume()
    setTimeout(() => this.ws.terminate(), 5000).unref()
  }

  private closed(): void {
    this.dropped = true
    this.detach()
    this.queue.length = 0
    if (this.watchTimer) clearTimeout(this.watchTimer)
    this.slotFree?.()
  }
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`
}
