import fs from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ALLOWED_CHANNELS } from '../../src/preload/channels.ts'
import { OUT_DIR } from '../../src/servers/web/artifacts.ts'
import { ensureBuilt } from '../helpers/built.ts'

/**
 * The built Electron app (electron-vite build), read as files: what the preload can
 * reach, what main refuses, what the page's CSP allows. No Electron binary needed.
 */
const read = (...parts: string[]) => fs.readFileSync(path.join(OUT_DIR, ...parts), 'utf8')

beforeAll(ensureBuilt, 120_000)

describe('the built preload', () => {
  it('is one CommonJS file that requires electron and nothing else (a sandboxed preload can load no modules)', () => {
    const code = read('preload', 'index.cjs')
    const requires = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1])
    expect(requires).toEqual(['electron'])
    expect(code).not.toMatch(/^\s*import\s/m)
  })

  it('exposes one bridge over the allow-listed channels only', () => {
    const code = read('preload', 'index.cjs')
    expect(code.match(/exposeInMainWorld/g)).toHaveLength(1)
    const channels = new Set([...code.matchAll(/["'](sockscope:[a-z-]+)["']/g)].map((m) => m[1]))
    expect([...channels].sort()).toEqual([...ALLOWED_CHANNELS].sort())
    // The page gets the message, never the IPC event or ipcRenderer itself.
    expect(code).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/)
  })
})

describe('the built main process', () => {
  const code = () => read('main', 'index.js')

  it('denies new windows, foreign navigation, webviews and permissions', () => {
    expect(code()).toMatch(/setWindowOpenHandler\(\(\) => \(\{ action: "deny" \}\)\)/)
    expect(code()).toContain('"will-navigate"')
    expect(code()).toContain('"will-attach-webview"')
    expect(code()).toContain('setPermissionRequestHandler')
    expect(code()).toContain('enableSandbox()')
  })

  it('checks the sender of every IPC call', () => {
    expect(code()).toMatch(/ipcMain\.handle\([^]*?trusted\(event\)/)
    expect(code()).toMatch(/ipcMain\.on\([^]*?trusted\(event\)/)
  })

  it('opens and saves documents through the native dialogs and the File menu, over the same two channels', () => {
    for (const call of ['showOpenDialog', 'showSaveDialog', 'setApplicationMenu', 'addRecentDocument', '"open-file"']) expect(code(), call).toContain(call)
    // `sockscope app FILE...` hands the files over as --open=PATH; main reads them back.
    expect(code()).toContain('--open')
    // No channel beyond the allow-listed ones: documents are requests and host messages.
    const channels = new Set([...code().matchAll(/["'](sockscope:[a-z-]+)["']/g)].map((m) => m[1]))
    expect([...channels].sort()).toEqual([...ALLOWED_CHANNELS].sort())
  })

  it('ships the lab’s child-process entries beside itself', () => {
    for (const entry of ['server-host', 'client-driver', 'fork-child', 'thread-worker']) expect(fs.existsSync(path.join(OUT_DIR, 'main', `${entry}.js`)), entry).toBe(true)
    expect(code()).toContain('SOCKSCOPE_ENTRY_DIR')
  })
})

describe('the built page', () => {
  it('carries a strict CSP: nothing remote, nothing inline, no eval', () => {
    const html = read('renderer', 'index.html')
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1]
    expect(csp).toBeDefined()
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:|\*/)
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/)
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('loads no remote content', () => {
    const assets = fs.readdirSync(path.join(OUT_DIR, 'renderer', 'assets'))
    const css = assets.filter((a) => a.endsWith('.css')).map((a) => read('renderer', 'assets', a)).join('\n')
    expect(css).not.toMatch(/url\((["']?)(https?:|\/\/|data:)/)
  })
})
