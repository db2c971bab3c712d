/**
 * The Electron main process: one window, the lab behind it, and the IPC bridge. Kept
 * thin: the lab, its API and the renderer are the same as in web mode.
 *
 * Child processes: the lab forks its server hosts and client drivers with
 * child_process.fork, which in Electron runs process.execPath, the Electron binary; with
 * ELECTRON_RUN_AS_NODE=1 in their environment (src/servers/entries.ts adds it under
 * Electron) that binary runs them as plain Node 24, as in web mode. utilityProcess is not
 * used: the lab needs process groups (to kill a server with its forked handlers), Node's
 * 'advanced' IPC and socket-handle passing, which child_process gives and it does not.
 * The scripts are built beside this file (electron.vite.config.ts) and found through
 * SOCKSCOPE_ENTRY_DIR.
 */
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, type IpcMainEvent, type IpcMainInvokeEvent, Menu, session, type WebContents } from 'electron'
import { appOptionsFromArgv } from '../servers/cli/lab-limits.ts'
import { exportForApp } from '../servers/render/export-job.ts'
import { Lab } from '../servers/lab/lab.ts'
import { AppDocuments } from '../servers/web/app-documents.ts'
import { LabService } from '../servers/web/lab-service.ts'
import { RecentDocuments } from '../servers/web/recent-documents.ts'
import { CHANNELS } from '../preload/channels.ts'
import { menuTemplate } from './menu.ts'
import { isAppUrl, isPermissionAllowed } from './security.ts'
import { windowOptions } from './window-options.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
process.env.SOCKSCOPE_ENTRY_DIR = here

const rendererUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(path.join(here, '../renderer/index.html')).href

app.enableSandbox()

let service: LabService | undefined
let documents: AppDocuments | undefined
const sessions = new Map<number, () => void>()
/** Files the OS handed over (macOS open-file) before the app was ready. */
const openedEarly: string[] = []

function trusted(event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  return isAppUrl(event.senderFrame?.url, rendererUrl) && BrowserWindow.fromWebContents(event.sender) !== null
}

function wireIpc(lab: LabService): void {
  ipcMain.handle(CHANNELS.request, async (event, message: unknown) => {
    if (!trusted(event)) return { type: 'response', id: -1, ok: false, error: { code: 'BAD_MESSAGE', message: 'refused: not the app page' } }
    return lab.handle(message)
  })
  // Export video… / Export PNG: the save dialog, then the same render as `sockscope render` (export-job.ts).
  ipcMain.handle(CHANNELS.export, async (event, ask: unknown, trace: unknown, name: unknown) => {
    if (!trusted(event) || !(trace instanceof ArrayBuffer || trace instanceof Uint8Array)) return { ok: false, error: { code: 'BAD_MESSAGE', message: 'refused: not the app page' } }
    const contents = event.sender
    return exportForApp(ask, trace, String(name), { pickSavePath: (suggested) => pickSavePath('Export', suggested) }, (line) => {
      if (!contents.isDestroyed()) contents.send(CHANNELS.exportProgress, line)
    })
  })
  ipcMain.on(CHANNELS.subscribe, (event) => {
    if (!trusted(event)) return
    const contents: WebContents = event.sender
    sessions.get(contents.id)?.()
    const detach = lab.attach((message) => {
      if (!contents.isDestroyed()) contents.send(CHANNELS.message, message)
    })
    sessions.set(contents.id, detach)
    contents.once('destroyed', () => {
      detach()
      sessions.delete(contents.id)
    })
  })
}

async function pickSavePath(title: string, suggestedName: string): Promise<string | null> {
  const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  const options = { title, defaultPath: path.join(app.getPath('documents'), suggestedName) }
  const picked = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
  return picked.canceled || !picked.filePath ? null : picked.filePath
}

function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(isPermissionAllowed(permission)))
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission))
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, rendererUrl)) event.preventDefault()
    })
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, rendererUrl)) event.preventDefault()
    })
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
}

function createWindow(): void {
  const win = new BrowserWindow(windowOptions(path.join(here, '../preload/index.cjs')))
  win.once('ready-to-show', () => win.show())
  void win.loadURL(rendererUrl)
}

/** The dialogs and the menu: everything else about documents is AppDocuments, in plain Node. */
async function setUpDocuments(lab: LabService, files: string[]): Promise<AppDocuments> {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  const traces = [{ name: 'Sockscope traces', extensions: ['ndjson', 'jsonl'] }, { name: 'All files', extensions: ['*'] }]
  const recent = await RecentDocuments.load(path.join(app.getPath('userData'), 'recent-traces.json'), {
    onError: (err) => console.error(`sockscope: cannot keep the recent traces list: ${err.message}`),
  })
  const docs = new AppDocuments(lab, recent, {
    async pickTraces() {
      const options = { title: 'Open trace', properties: ['openFile', 'multiSelections'] as ('openFile' | 'multiSelections')[], filters: traces }
      const win = parent()
      const picked = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options)
      return picked.canceled ? [] : picked.filePaths
    },
    async pickSavePath(suggestedName) {
      const options = { title: 'Save trace', defaultPath: path.join(app.getPath('documents'), suggestedName), filters: traces.slice(0, 1) }
      const win = parent()
      const picked = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
      return picked.canceled || !picked.filePath ? null : picked.filePath
    },
    addRecentDocument: (file) => app.addRecentDocument(file),
  })
  const showMenu = () =>
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(docs.recentFiles(), {
          open: () => void docs.openFromDialog(),
          openRecent: (file) => void docs.openRecent(file),
          clearRecent: () => void docs.clearRecent().then(() => app.clearRecentDocuments()),
          saveTrace: () => void docs.saveFromMenu(),
        }),
      ),
    )
  docs.onRecentChanged(showMenu)
  showMenu()
  await docs.openAtStart([...files, ...openedEarly.splice(0)])
  return docs
}

// macOS: a trace double-clicked in the Finder, or picked from the Dock's recent list.
app.on('open-file', (event, file) => {
  event.preventDefault()
  if (documents) void documents.open([file])
  else openedEarly.push(file)
})

app.whenReady().then(async () => {
  lockDown()
  const { limits, files } = appOptionsFromArgv(process.argv.slice(2))
  service = new LabService(new Lab({ limits }), { host: 'electron', saveTrace: () => documents!.save() })
  documents = await setUpDocuments(service, files)
  wireIpc(service)
  service.lab.installSignalHandlers(() => app.quit())
  createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
})

app.on('window-all-closed', () => app.quit())

// Nothing outlives the app: stop every server and client before quitting.
let stopped = false
app.on('will-quit', (event) => {
  if (stopped || !service) return
  event.preventDefault()
  void service.dispose().finally(() => {
    stopped = true
    app.quit()
  })
})
