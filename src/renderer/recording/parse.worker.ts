import type { OpenRequest, WorkerMessage } from './messages.ts'
import { parseFiles } from './parse-files.ts'

/**
 * The parse worker: trace files are read and checked here, off the page's thread, so a
 * 150 MB trace never freezes the screen. One request per worker: the page starts a new
 * worker for each open and ends it when done.
 */
const scope = self as unknown as { onmessage: ((event: MessageEvent<OpenRequest>) => void) | null; postMessage(message: WorkerMessage, transfer?: Transferable[]): void }

scope.onmessage = (event) => {
  if (event.data?.type !== 'open') return
  parseFiles(event.data.files, (message, transfer) => scope.postMessage(message, transfer ?? []), {}, event.data.part).catch((err: unknown) =>
    // What parseFiles does not catch is a fault of this build, not of a file: say so as a problem all the same.
    scope.postMessage({ type: 'files', files: [], problems: [`cannot open the files: ${(err as Error).message}`], readMs: 0 }),
  )
}
