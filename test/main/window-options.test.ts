import { describe, expect, it } from 'vitest'
import { ALLOWED_PERMISSIONS, isAppUrl, isPermissionAllowed } from '../../src/main/security.ts'
import { windowOptions } from '../../src/main/window-options.ts'

describe('the main window’s options (Electron security checklist)', () => {
  const options = windowOptions('/app/out/preload/index.cjs')
  const web = options.webPreferences!

  it('isolates and sandboxes the page, with no Node in it', () => {
    expect(web.contextIsolation).toBe(true)
    expect(web.sandbox).toBe(true)
    expect(web.nodeIntegration).toBe(false)
    expect(web.nodeIntegrationInWorker).toBe(false)
    expect(web.nodeIntegrationInSubFrames).toBe(false)
  })

  it('keeps web security on and the risky features off', () => {
    expect(web.webSecurity).toBe(true)
    expect(web.allowRunningInsecureContent).toBe(false)
    expect(web.experimentalFeatures).toBe(false)
    expect(web.webviewTag).toBe(false)
    expect(web.navigateOnDragDrop).toBe(false)
    expect(web.preload).toBe('/app/out/preload/index.cjs')
  })

  it('opens at screencast size', () => {
    expect([options.width, options.height]).toEqual([1920, 1080])
  })
})

describe('what main lets the page do', () => {
  const app = 'file:///opt/sockscope/out/renderer/index.html'

  it('trusts only the app’s own page', () => {
    expect(isAppUrl(app, app)).toBe(true)
    expect(isAppUrl(`${app}#/x`, app)).toBe(true)
    expect(isAppUrl('file:///etc/passwd', app)).toBe(false)
    expect(isAppUrl('https://example.com/', app)).toBe(false)
    expect(isAppUrl(undefined, app)).toBe(false)
    expect(isAppUrl('not a url', app)).toBe(false)
  })

  it('compares origins for a development server', () => {
    expect(isAppUrl('http://localhost:5173/index.html', 'http://localhost:5173/')).toBe(true)
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false)
  })

  it('grants no permission', () => {
    expect(ALLOWED_PERMISSIONS).toEqual([])
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(isPermissionAllowed(p)).toBe(false)
  })
})
