import path from 'node:path'
import type { MenuItemConstructorOptions } from 'electron'

/**
 * The app's menu, as a template (types only from electron, so a test builds it without
 * Electron): File › Open…, Open Recent, Save Trace…, and the platform's usual Edit, View
 * and Window menus (setting a menu replaces Electron's default one, which had them).
 */

export interface MenuActions {
  open(): void
  openRecent(file: string): void
  clearRecent(): void
  saveTrace(): void
}

/** A recent file as the menu shows it: its name, then the folder it is in. */
export function recentLabel(file: string): string {
  return `${path.basename(file)}   ${path.dirname(file)}`
}

export function menuTemplate(recent: readonly string[], actions: MenuActions, platform: NodeJS.Platform = process.platform): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin'
  const recentItems: MenuItemConstructorOptions[] = recent.length
    ? [
        ...recent.map((file): MenuItemConstructorOptions => ({ label: recentLabel(file), click: () => actions.openRecent(file) })),
        { type: 'separator' },
        { label: 'Clear Recently Opened', click: () => actions.clearRecent() },
      ]
    : [{ label: 'No recent traces', enabled: false }]
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'Open Trace…', accelerator: 'CmdOrCtrl+O', click: () => actions.open() },
      { label: 'Open Recent', submenu: recentItems },
      { type: 'separator' },
      { label: 'Save Trace…', accelerator: 'CmdOrCtrl+S', click: () => actions.saveTrace() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  }
  return [...(mac ? [{ role: 'appMenu' } as const] : []), file, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }]
}
