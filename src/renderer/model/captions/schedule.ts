import type { SockscopeEvent } from '../../../servers/events.ts'
import { type EventStore, kindCode } from '../event-store.ts'
import { burstText, type CaptionContext, captionRule, type Family, PRIORITY } from './rules.ts'

/**
 * Which caption is on screen at an instant: a pure function of (recording, notes, hold,
 * playhead), so a frame rendered for a video at a playhead shows what the replay showed
 * there. Walking the events in time order, a caption is held for `holdUs` of recording
 * time (the minimum time to read it on screen, times the replay speed); meanwhile only a
 * more important one replaces it, and more of the same family join it as one sentence
 * ("8 clients connect within 3 ms"). After its hold, the next event's caption takes over.
 *
 * Kept up to date as a live store grows: only the events past the last scan are walked,
 * unless a late batch landed before them (then the walk starts again).
 */

/** How long a caption stays at least, in wall time: a short sentence read aloud. */
export const HOLD_MS = 2200
/** A user's note stays longer: the person wrote it to be read. */
export const NOTE_HOLD_MS = 3500
/** After this many holds with nothing new, the caption is over (the screen says nothing rather than something stale). */
const STALE_HOLDS = 4

/** A note at an instant of the recording (store time, µs). */
export interface Note {
  t: number
  text: string
}

export interface Caption {
  text: string
  /** When this caption began (µs, store time): its first event's time, or its note's. */
  t: number
  priority: number
  /** The event it narrates (the first of a burst); null for a note. */
  seq: number | null
  /** What it narrates: an event kind, or `note`. */
  kind: string
  /** How many events it stands for (a burst: more than 1). */
  count: number
}

interface Entry {
  start: number
  priority: number
  family: Family | null
  seq: number | null
  note: Note | null
  /** The times of the events it stands for, in `times[from, to)`. */
  from: number
  to: number
}

const RECV = kindCode('recv')
const SEND = kindCode('send')
const PROC = kindCode('proc')
const OTHER = kindCode('other')

export class CaptionSchedule {
  private entries: Entry[] = []
  private times: number[] = []
  private lastSeqs: number[] = []
  private scanned = 0
  private lastSeq = -1
  private noteAt = 0
  private holdUs = HOLD_MS * 1000
  private noteHoldUs = NOTE_HOLD_MS * 1000
  private notes: readonly Note[] = []
  private readonly store: EventStore
  private readonly ctx: () => CaptionContext

  constructor(store: EventStore, ctx: () => CaptionContext) {
    this.store = store
    this.ctx = ctx
  }

  /** Set what the schedule depends on besides the events: the replay speed (holds scale with it) and the notes. Returns whether it changed. */
  configure(speed: number, notes: readonly Note[]): boolean {
    const holdUs = HOLD_MS * 1000 * speed
    if (holdUs === this.holdUs && notes === this.notes) return false
    this.holdUs = holdUs
    this.noteHoldUs = NOTE_HOLD_MS * 1000 * speed
    this.notes = [...notes].sort((a, b) => a.t - b.t)
    this.restart()
    return true
  }

  /** Start again from the first event (a cleared or reordered store, another speed, other notes). */
  restart(): void {
    this.entries = []
    this.times = []
    this.lastSeqs = []
    this.scanned = 0
    this.lastSeq = -1
    this.noteAt = 0
  }

  /** The caption on screen at t, or null (nothing yet, or nothing for a while). */
  at(t: number): Caption | null {
    this.update()
    const entries = this.entries
    let lo = 0
    let hi = entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (entries[mid]!.start <= t) lo = mid + 1
      else hi = mid
    }
    const entry = entries[lo - 1]
    if (!entry) return null
    // The events of a burst that have happened by t.
    let n = entry.from
    while (n < entry.to && this.times[n]! <= t) n++
    const count = Math.max(1, n - entry.from)
    const lastT = this.times[n - 1] ?? entry.start
    if (t - lastT > (entry.note ? this.noteHoldUs : this.holdUs) * STALE_HOLDS) return null
    if (entry.note) return { text: entry.note.text, t: entry.start, priority: PRIORITY.note, seq: null, kind: 'note', count: 1 }
    const ctx = this.ctx()
    const first = this.store.event(entry.seq!)
    const rule = first && captionRule(first, ctx)
    if (!first || !rule) return null
    const last = count > 1 ? this.store.event(this.lastSeqs[n - 1]!) : first
    const text = entry.family && last ? burstText(entry.family, count, lastT - entry.start, rule.text, last, ctx) : rule.text
    return { text: capitalize(text), t: entry.start, priority: entry.priority, seq: entry.seq, kind: first.kind, count }
  }

  private update(): void {
    const store = this.store
    if (store.size < this.scanned || (this.scanned > 0 && store.order[this.scanned - 1] !== this.lastSeq)) this.restart()
    if (store.size === this.scanned && this.noteAt >= this.notes.length) return
    const ctx = this.ctx()
    for (let pos = this.scanned; pos < store.size; pos++) {
      const seq = store.order[pos]!
      const t = store.t[seq]!
      this.notesUpTo(t)
      const kind = store.kind[seq]!
      if (kind === OTHER) continue
      // recv and send are most of a trace: their rule's priority and family need no decoding.
      if (kind === RECV || kind === SEND) {
        this.offer(t, PRIORITY.tick, 'io', seq)
        continue
      }
      const e = store.event(seq)
      if (!e || (kind === PROC && (e as { change?: string }).change === 'usage')) continue
      const rule = captionRule(e, ctx)
      if (rule) this.offer(t, rule.priority, rule.family, seq)
    }
    this.scanned = store.size
    this.lastSeq = store.size > 0 ? store.order[store.size - 1]! : -1
    // Notes after the last event (a live run's, or past the end of a recording).
    if (this.noteAt < this.notes.length && store.size === 0) this.notesUpTo(Number.POSITIVE_INFINITY)
    else this.notesUpTo(store.size > 0 ? store.t[this.lastSeq]! : Number.NEGATIVE_INFINITY, true)
  }

  /** Notes at or before t (with `after`, every note from t on too: nothing in the store comes later to interleave). */
  private notesUpTo(t: number, after = false): void {
    while (this.noteAt < this.notes.length && (after || this.notes[this.noteAt]!.t <= t)) {
      const note = this.notes[this.noteAt++]!
      this.push({ start: note.t, priority: PRIORITY.note, family: null, seq: null, note, from: this.times.length, to: this.times.length + 1 }, note.t, -1)
    }
  }

  private offer(t: number, priority: number, family: Family | null, seq: number): void {
    const cur = this.entries[this.entries.length - 1]
    const hold = cur?.note ? this.noteHoldUs : this.holdUs
    const held = cur !== undefined && t - cur.start < hold
    if (held && family !== null && cur.family === family && priority <= cur.priority) {
      // One more of the same, while it is on screen: the sentence counts it.
      this.times.push(t)
      this.lastSeqs.push(seq)
      cur.to = this.times.length
      return
    }
    if (held && priority <= cur.priority) return
    this.push({ start: t, priority, family, seq, note: null, from: this.times.length, to: this.times.length + 1 }, t, seq)
  }

  private push(entry: Entry, t: number, seq: number): void {
    const prev = this.entries[this.entries.length - 1]
    // Two captions at one instant: the more important stays.
    if (prev && prev.start === entry.start && prev.priority > entry.priority) return
    if (prev && prev.start === entry.start) this.entries.pop()
    this.times.push(t)
    this.lastSeqs.push(seq)
    this.entries.push(entry)
  }
}

const capitalize = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s)

/** The caption of one event alone, as the schedule would word it (for tests and tooltips). */
export function captionOf(e: SockscopeEvent, ctx: CaptionContext): string | null {
  const rule = captionRule(e, ctx)
  return rule && capitalize(rule.text)
}
