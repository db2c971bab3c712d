/**
 * What the screencast's key indicator shows for a key press, as VS Code's screencast mode
 * does: the key as a viewer reads it ("Space", "→", "⇧→", "Ctrl+S", "P"), nothing for a
 * modifier pressed alone; and the last few presses, a repeat counted ("→ ×3") rather than
 * shown again, each for HOLD_MS. Pure: the overlay only draws what these say.
 */

export interface KeyPress {
  key: string
  shiftKey: boolean
  ctrlKey: boolean
  altKey: boolean
  metaKey: boolean
}

const NAMES: Record<string, string> = {
  ' ': 'Space',
  ArrowRight: '→',
  ArrowLeft: '←',
  ArrowUp: '↑',
  ArrowDown: '↓',
  Escape: 'Esc',
  Enter: '⏎',
  Backspace: '⌫',
  Delete: 'Del',
  Tab: 'Tab',
  Home: 'Home',
  End: 'End',
  PageUp: 'PgUp',
  PageDown: 'PgDn',
}

const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'Meta', 'AltGraph', 'CapsLock', 'Fn', 'OS', 'Dead', 'Unidentified'])

/** The key as shown, or null for one not worth showing (a modifier alone). */
export function keyLabel(e: KeyPress): string | null {
  if (MODIFIERS.has(e.key)) return null
  const named = NAMES[e.key]
  const base = named ?? (e.key.length === 1 ? e.key.toUpperCase() : e.key)
  const mods = [e.ctrlKey ? 'Ctrl+' : '', e.altKey ? 'Alt+' : '', e.metaKey ? '⌘' : ''].join('')
  // Shift is said for named keys (⇧→ jumps to a marker); a typed character already shows it ('?' not '⇧/').
  const shift = e.shiftKey && (named !== undefined || e.key.length > 1 || mods !== '') ? '⇧' : ''
  return `${mods}${shift}${base}`
}

export const HOLD_MS = 1600
export const MAX_SHOWN = 4

export interface ShownKey {
  id: number
  label: string
  count: number
  /** When it was last pressed (ms): it goes HOLD_MS after. */
  at: number
}

/** The presses on screen: the newest last; a press of the key shown last adds to its count. */
export class KeyHistory {
  private shown: ShownKey[] = []
  private nextId = 1

  press(label: string, now: number): ShownKey[] {
    this.expire(now)
    const last = this.shown.at(-1)
    if (last && last.label === label) this.shown = [...this.shown.slice(0, -1), { ...last, count: last.count + 1, at: now }]
    else this.shown = [...this.shown, { id: this.nextId++, label, count: 1, at: now }].slice(-MAX_SHOWN)
    return this.shown
  }

  /** What is still shown at `now`. */
  expire(now: number): ShownKey[] {
    this.shown = this.shown.filter((k) => now - k.at < HOLD_MS)
    return this.shown
  }

  clear(): void {
    this.shown = []
  }
}
