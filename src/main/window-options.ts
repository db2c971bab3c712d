import type { BrowserWindowConstructorOptions } from 'electron'

/**
 * The main window's options, in a plain module (types only from electron) so a test can
 * import it and check the security settings without Electron. Electron's security
 * checklist: isolate the page from the preload and Node, sandbox it, no Node in the page
 * or its workers or frames, web security on, no insecure content, no <webview>.
 */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1920,
    height: 1080,
    minWidth: 1180,
    minHeight: 720,
    show: false,
    title: 'Sockscope',
    backgroundColor: '#0b0e13',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: true,
    },
  }
}
