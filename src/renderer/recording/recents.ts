/**
 * Recently opened trace files, to open again with one click. Web mode keeps the files
 * themselves (a page cannot open a path again) in IndexedDB: the last RECENT_MAX, each at
 * most RECENT_MAX_BYTES. Electron's host will keep paths instead: `RecentFiles` is the
 * seam, and `recentFiles('electron')` returns null until the host provides one.
 */

export const RECENT_MAX = 5
export const RECENT_MAX_BYTES = 64 * 1024 * 1024

export interface RecentFile {
  id: string
  name: string
  bytes: number
  /** When it was last opened (ms since the epoch). */
  openedAt: number
}

export interface RecentFiles {
  list(): Promise<RecentFile[]>
  /** Keep these files (those over the size limit are not kept) as the most recent. */
  remember(files: readonly File[]): Promise<void>
  /** The file again, or null if it is no longer kept. */
  open(id: string): Promise<File | null>
}

export function recentFiles(host: 'web' | 'electron' | null): RecentFiles | null {
  if (host === 'electron') return null
  return typeof indexedDB === 'undefined' ? null : indexedDbRecents()
}

const DB = 'sockscope'
const STORE = 'recent-traces'

interface Row extends RecentFile {
  blob: Blob
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

function indexedDbRecents(): RecentFiles {
  let db: Promise<IDBDatabase> | undefined
  const open = () =>
    (db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1)
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' })
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    }))
  const rows = async (): Promise<Row[]> => {
    const store = (await open()).transaction(STORE, 'readonly').objectStore(STORE)
    return ((await request(store.getAll())) as Row[]).sort((a, b) => b.openedAt - a.openedAt)
  }
  return {
    async list() {
      return (await rows()).map(({ id, name, bytes, openedAt }) => ({ id, name, bytes, openedAt }))
    },
    async remember(files) {
      const kept = files.filter((f) => f.size <= RECENT_MAX_BYTES)
      if (kept.length === 0) return
      const now = Date.now()
      const old = await rows()
      const tx = (await open()).transaction(STORE, 'readwrite')
      const store = tx.objectStore(STORE)
      kept.forEach((f, i) => {
        // The same name and size is the same file opened again: one entry, moved to the top.
        const id = `${f.name}:${f.size}`
        store.put({ id, name: f.name, bytes: f.size, openedAt: now + kept.length - i, blob: f } satisfies Row)
      })
      const ids = new Set(kept.map((f) => `${f.name}:${f.size}`))
      const rest = old.filter((r) => !ids.has(r.id))
      for (const r of rest.slice(Math.max(0, RECENT_MAX - ids.size))) store.delete(r.id)
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve()
        tx.onerror = () => reject(tx.error)
      })
    },
    async open(id) {
      const store = (await open()).transaction(STORE, 'readonly').objectStore(STORE)
      const row = (await request(store.get(id))) as Row | undefined
      return row ? new File([row.blob], row.name) : null
    },
  }
}
