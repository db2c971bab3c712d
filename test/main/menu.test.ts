import type { MenuItemConstructorOptions } from 'electron'
import { describe, expect, it } from 'vitest'
import { menuTemplate, recentLabel } from '../../src/main/menu.ts'

/** The app's menu as a template: what File holds and what each item does, without Electron (its binary is not installed here). */

function actions() {
  const calls: string[] = []
  return {
    calls,
    actions: {
      open: () => void calls.push('open'),
      openRecent: (file: string) => void calls.push(`recent ${file}`),
      clearRecent: () => void calls.push('clear'),
      saveTrace: () => void calls.push('save'),
    },
  }
}

const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as (() => void) | undefined)?.()
const fileMenu = (template: MenuItemConstructorOptions[]) => (template.find((m) => m.label === '&File')!.submenu as MenuItemConstructorOptions[])
const find = (items: MenuItemConstructorOptions[], label: string) => items.find((i) => i.label === label)

describe('the app menu', () => {
  it('File: Open Trace… (Ctrl+O), Open Recent newest first, Save Trace… (Ctrl+S)', () => {
    const a = actions()
    const file = fileMenu(menuTemplate(['/t/new.ndjson', '/t/old.ndjson'], a.actions, 'linux'))
    expect(find(file, 'Open Trace…')).toMatchObject({ accelerator: 'CmdOrCtrl+O' })
    expect(find(file, 'Save Trace…')).toMatchObject({ accelerator: 'CmdOrCtrl+S' })
    const recent = find(file, 'Open Recent')!.submenu as MenuItemConstructorOptions[]
    expect(recent.map((i) => i.label ?? i.type)).toEqual([recentLabel('/t/new.ndjson'), recentLabel('/t/old.ndjson'), 'separator', 'Clear Recently Opened'])
    click(find(file, 'Open Trace…'))
    click(recent[1])
    click(find(recent, 'Clear Recently Opened'))
    click(find(file, 'Save Trace…'))
    expect(a.calls).toEqual(['open', 'recent /t/old.ndjson', 'clear', 'save'])
    expect(file.at(-1)).toEqual({ role: 'quit' })
  })

  it('says so when there is nothing recent, and keeps the usual menus (macOS: the app menu first)', () => {
    const template = menuTemplate([], actions().actions, 'darwin')
    expect((find(fileMenu(template), 'Open Recent')!.submenu as MenuItemConstructorOptions[])).toEqual([{ label: 'No recent traces', enabled: false }])
    expect(template.map((m) => m.role ?? m.label)).toEqual(['appMenu', '&File', 'editMenu', 'viewMenu', 'windowMenu'])
    expect(recentLabel('/home/me/traces/run.ndjson')).toBe('run.ndjson   /home/me/traces')
  })
})
