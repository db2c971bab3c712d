/**
 * The preload: runs sandboxed, with contextIsolation, before the page. It exposes a
 * two-function bridge over the allow-listed channels and nothing else: no ipcRenderer,
 * no event objects, no way to name another channel.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { SockscopeBridge } from './api.ts'
import { BRIDGE_NAME, CHANNELS } from './channels.ts'

const bridge: SockscopeBridge = {
  request: (message) => ipcRenderer.invoke(CHANNELS.request, message),
  subscribe(listener) {
    // Hand the page the message only, never the IPC event (it carries the sender).
    const forward = (_event: IpcRendererEvent, message: unknown) => listener(message)
    ipcRenderer.on(CHANNELS.message, forward)
    ipcRenderer.send(CHANNELS.subscribe)
    return () => {
      ipcRenderer.removeListener(CHANNELS.message, forward)
    }
  },
  async exportFile(ask, trace, name, onLine) {
    const forward = (_event: IpcRendererEvent, line: unknown) => onLine(line)
    ipcRenderer.on(CHANNELS.exportProgress, forward)
    try {
      return await ipcRenderer.invoke(CHANNELS.export, ask, trace, String(name))
    } finally {
      ipcRenderer.removeListener(CHANNELS.exportProgress, forward)
    }
  },
}

contextBridge.exposeInMainWorld(BRIDGE_NAME, bridge)
