import type { StoreSnapshot } from '../model/event-store.ts'
import type { FilePart, OpenedFile, OpenRequest, WorkerMessage } from './messages.ts'
import { joinParts, type PartRead, probeFrom, SPLIT_MIN_BYTES, SPLIT_PROBE_BYTES, splitParts } from './split-read.ts'

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
 * aborts (a newer open replaces this one). One large file is read by two workers at once,
 * a half each (split-read.ts), where the machine has the cores for it.
 */
export async function openInWorker(files: readonly { name: string; blob: Blob }[], on: OpenHandlers, signal?: AbortSignal): Promise<number> {
  const parts = files.length === 1 ? await twoParts(files[0]!.blob) : null
  if (parts) {
    const started = performance.now()
    const read = [0, 0]
    const progress = (k: number) => (bytes: number) => {
      read[k] = bytes
      on.progress((read[0]! + read[1]!) / files[0]!.blob.size)
    }
    // One part's failure ends the other's worker too.
    const both = new AbortController()
    const abort = () => both.abort()
    signal?.addEventListener('abort', abort)
    const [first, second] = await Promise.all(parts.map((part, k) => readPart(files, part, progress(k), both.signal)))
      .catch((err: unknown) => {
        both.abort()
        throw signal?.aborted ? new DOMException('a newer open replaced this one', 'AbortError') : err
      })
      .finally(() => signal?.removeEventListener('abort', abort))
    const joined = joinParts(first!, second!, files[0]!.blob.size)
    if (joined.kind === 'failed') {
      on.files([], joined.problems, joined.readMs)
      return 0
    }
    if (joined.kind === 'joined') {
      on.files([joined.file], [], performance.now() - started)
      // As from one worker, the store comes in a task of its own: the page shows the recording's frame (empty, loading) first.
      await new Promise((resolve) => setTimeout(resolve))
      on.store(joined.snapshot)
      return joined.events
    }
    // (The parts could not say what the whole would: read it whole, below.)
  }
  return new Promise((resolve, reject) => {
    const worker = startWorker({ type: 'open', files }, signal, reject)
    const end = () => worker.end()
    worker.onmessage((message) => {
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
    })
  })
}

/** The two parts of a file large enough to be worth two workers, with two cores for them; else null. */
async function twoParts(blob: Blob): Promise<[FilePart, FilePart] | null> {
  if (blob.size < SPLIT_MIN_BYTES || (navigator.hardwareConcurrency ?? 1) < 2) return null
  const from = probeFrom(blob.size)
  return splitParts(blob.size, new Uint8Array(await blob.slice(from, from + SPLIT_PROBE_BYTES).arrayBuffer()))
}

/** One part of the one file, read by a worker of its own: what it posted. */
function readPart(files: readonly { name: string; blob: Blob }[], part: FilePart, progress: (bytes: number) => void, signal?: AbortSignal): Promise<PartRead> {
  return new Promise((resolve, reject) => {
    const out: PartRead = { files: [], problems: [], readMs: 0, snapshot: null }
    const worker = startWorker({ type: 'open', files, part }, signal, reject)
    worker.onmessage((message) => {
      if (message.type === 'progress') progress(message.read)
      else if (message.type === 'files') {
        Object.assign(out, { files: message.files, problems: message.problems, readMs: message.readMs })
        if (message.files.length === 0) {
          worker.end()
          resolve(out)
        }
      } else if (message.type === 'store') out.snapshot = message.snapshot
      else {
        worker.end()
        resolve(out)
      }
    })
  })
}

/** A parse worker given `request`: ended by `end()`, by `signal` (rejecting with an AbortError), or by its own failure (rejecting). */
function startWorker(request: OpenRequest, signal: AbortSignal | undefined, reject: (err: Error) => void) {
  const worker = new Worker(new URL('./parse.worker.ts', import.meta.url), { type: 'module', name: 'sockscope-trace-parser' })
  const end = () => {
    worker.terminate()
    signal?.removeEventListener('abort', abort)
  }
  const abort = () => {
    end()
    reject(new DOMException('a newer open replaced this one', 'AbortError'))
  }
  if (signal?.aborted) abort()
  signal?.addEventListener('abort', abort)
  worker.onerror = (event) => {
    end()
    reject(new Error(`the trace parser stopped: ${event.message || 'it could not start'}`))
  }
  worker.postMessage(request)
  return {
    end,
    onmessage: (handle: (message: WorkerMessage) => void) => {
      worker.onmessage = (event: MessageEvent<WorkerMessage>) => handle(event.data)
    },
  }
}
