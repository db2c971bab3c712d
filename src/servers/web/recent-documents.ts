import fs from 'node:fs'
import path from 'node:path'

/**
 * The app's recent trace files (Electron's File › Open Recent), kept in a small JSON file
 * of its own in the app's userData folder: newest first, each path once, at most
 * MAX_RECENT. Plain Node, so main only shows the list and tells it what was opened.
 *
 * The list is a convenience, never a reason to fail: a missing, unreadable, oversized or
 * malformed file reads as an empty list (and is rewritten whole on the next change); a
 * write that fails leaves the list in memory as it is and says why to `onError`.
 */

export const MAX_RECENT = 10
/** The file holds ten paths: anything much larger is not ours. */
const MAX_FILE_BYTES = 64 * 1024
const FORMAT = 'sockscope-recent'

export class RecentDocuments {
  readonly file: string
  private readonly max: number
  private files: string[]
  private readonly onError: (err: Error) => void

  private constructor(file: string, files: string[], max: number, onError: (err: Error) => void) {
    this.file = file
    this.files = files
    this.max = max
    this.onError = onError
  }

  static async load(file: string, options: { max?: number; onError?: (err: Error) => void } = {}): Promise<RecentDocuments> {
    const max = options.max ?? MAX_RECENT
    return new RecentDocuments(file, (await readList(file)).slice(0, max), max, options.onError ?? (() => {}))
  }

  /** Newest first. */
  list(): string[] {
    return [...this.files]
  }

  /** Put these (absolute paths) first, in the order given; the oldest fall off past the cap. Resolves once saved. */
  async add(files: readonly string[]): Promise<string[]> {
    const fresh = files.map((f) => path.resolve(f))
    this.files = [...new Set([...fresh, ...this.files])].slice(0, this.max)
    await this.save()
    return this.list()
  }

  /** Forget one (a file that is gone, picked from the menu). */
  async remove(file: string): Promise<string[]> {
    this.files = this.files.filter((f) => f !== path.resolve(file))
    await this.save()
    return this.list()
  }

  async clear(): Promise<void> {
    this.files = []
    await this.save()
  }

  /** Written in place: the file is the app's own, and a torn one only reads as an empty list. */
  private async save(): Promise<void> {
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true })
      await fs.promises.writeFile(this.file, JSON.stringify({ format: FORMAT, version: 1, files: this.files }, null, 1) + '\n')
    } catch (err) {
      this.onError(err as Error)
    }
  }
}

async function readList(file: string): Promise<string[]> {
  try {
    const stats = await fs.promises.stat(file)
    if (!stats.isFile() || stats.size > MAX_FILE_BYTES) return []
    const json: unknown = JSON.parse(await fs.promises.readFile(file, 'utf8'))
    const files = (json as { format?: unknown; files?: unknown })?.format === FORMAT ? (json as { files: unknown }).files : undefined
    if (!Array.isArray(files)) return []
    return [...new Set(files.filter((f): f is string => typeof f === 'string' && path.isAbsolute(f)))]
  } catch {
    return []
  }
}
