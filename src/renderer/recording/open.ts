import type { StoreSnapshot } from '../model/event-store.ts'
import type { OpenedFile, OpenRequest, WorkerMessage } from './messages.ts'

export interface OpenHandlers {
  /** Bytes read of all the files (0..1). */
  progress(fraction: number): void
  /** Every file read: what was read of each, and one message per file that could not be. Events follow unless `files` is empty. */
  files(files: OpenedFile[], problems: string[], readMs: number): void
  /** Every event, on the recording's axis, as the store the worker built (to adopt: EventStore.adopt). */
  store(snapshot: StoreSnapshot): void
}

/**
 * Open trace files in a Web Worker (parse.worker.ts): resolves with the number of events
 * once the last batch has been handed over; the worker is ended then, or when `signal`
 * aborts (a newer open replaces this one).
 */
export function openInWorker(files: readonly { name: string; blob: Blob }[], on: OpenHandlers, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module', name: 'sockscope-trace-parser' })
    const end = () => {
      worker.terminate()
      signal?.removeEventListener('abort', abort)
    }
    const abort = () => {
      end()
      reject(new DOMException('a newer open replaced this one', 'AbortError'))
    }
    signal?.addEventListener('abort', abort)
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
      const message = event.data
      switch (message.type) {
        case 'progress':
          on.progress(message.total ? message.read / message.total : 1)
          break
        case 'files':
          on.files(message.files, message.problems, message.readMs)
          if (message.files.length === 0) {
            end()
            resolve(0)
          }
          break
        case 'store':
          on.store(message.snapshot)
          break
        case 'done':
          end()
          resolve(message.events)
          break
      }
    }
    worker.onerror = (event) => {
      end()
      reject(new Error(`the trace parser stopped: ${event.message || 'it could not start'}`))
    }
    const request: OpenRequest = { type: 'open', files }
    worker.postMessage(request)
  })
}
