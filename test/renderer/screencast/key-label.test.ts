import { describe, expect, it } from 'vitest'
import { HOLD_MS, KeyHistory, keyLabel, MAX_SHOWN } from '../../../src/renderer/screencast/key-label.ts'

const press = (key: string, mods: Partial<{ shiftKey: boolean; ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) => ({ key, shiftKey: false, ctrlKey: false, altKey: false, metaKey: false, ...mods })

describe('the key indicator', () => {
  it('names keys as a viewer reads them, and skips a modifier pressed alone', () => {
    expect(keyLabel(press(' '))).toBe('Space')
    expect(keyLabel(press('ArrowRight'))).toBe('→')
    expect(keyLabel(press('ArrowRight', { shiftKey: true }))).toBe('⇧→')
    expect(keyLabel(press('p'))).toBe('P')
    expect(keyLabel(press(']'))).toBe(']')
    expect(keyLabel(press('?', { shiftKey: true }))).toBe('?')
    expect(keyLabel(press('s', { ctrlKey: true }))).toBe('Ctrl+S')
    expect(keyLabel(press('Escape'))).toBe('Esc')
    expect(keyLabel(press('Shift', { shiftKey: true }))).toBeNull()
  })

  it('counts a repeated key rather than showing it again, keeps the last few, and lets each go after its hold', () => {
    const h = new KeyHistory()
    h.press('→', 0)
    h.press('→', 100)
    expect(h.press('→', 200).map((k) => [k.label, k.count])).toEqual([['→', 3]])
    for (const [i, k] of ['A', 'B', 'C', 'D', 'E'].entries()) h.press(k, 300 + i)
    expect(h.expire(400).map((k) => k.label)).toHaveLength(MAX_SHOWN)
    expect(h.expire(400).map((k) => k.label)).toEqual(['B', 'C', 'D', 'E'])
    expect(h.expire(304 + HOLD_MS)).toEqual([])
  })
})
