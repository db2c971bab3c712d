import { PALETTES, type ThemeName } from '../timeline/palette.ts'

/**
 * One colour per compared model, in the order the compare lists them, from the timeline's
 * own palette (so a model's line and its row's swatch read as the app's colours): blue,
 * amber, green, pink, each distinct in both themes.
 */
export function modelColours(theme: ThemeName): string[] {
  const p = PALETTES[theme]
  return [p.selectionEdge, p.blocked.sleep, p.working, p.blocked.send]
}
