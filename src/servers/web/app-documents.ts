import { toErrorInfo } from '../errors.ts'
import type { LabService } from './lab-service.ts'
import type { SavedTrace } from './protocol.ts'
import type { RecentDocuments } from './recent-documents.ts'
import { sessionTraceName, writeSessionTrace } from './session-trace.ts'

/**
 * Electron's documents, everything but the dialogs and the menu themselves: File › Open
 * (and Open Recent, and a file handed to the app by the OS) lists the files with the
 * host and tells the page to open them; Save trace writes the live session where the save
 * dialog says. Plain Node, so that main is the dialogs and the menu, and this is tested
 * without Electron.
 */

/** What the platform gives: its native dialogs, and its own recent-documents list (app.addRecentDocument). */
export interface DocumentPlatform {
  /** The files picked in an open dialog (several at once), or none if cancelled. */
  pickTraces(): Promise<string[]>
  /** Where to save, from a save dialog that proposes `suggestedName`; null if cancelled. */
  pickSavePath(suggestedName: string): Promise<string | null>
  addRecentDocument(file: string): void
}

export class AppDocuments {
  private readonly service: LabService
  private readonly recent: RecentDocuments
  private readonly platform: DocumentPlatform
  private readonly changed: (() => void)[] = []

  constructor(service: LabService, recent: RecentDocuments, platform: DocumentPlatform) {
    this.service = service
    this.recent = recent
    this.platform = platform
  }

  /** The recent list changed (the menu shows it again). */
  onRecentChanged(listener: () => void): void {
    this.changed.push(listener)
  }

  recentFiles(): string[] {
    return this.recent.list()
  }

  /** Files to open at start (`sockscope app FILE...`, already checked): listed for hello's openAtStart, and remembered. */
  async openAtStart(files: readonly string[]): Promise<void> {
    if (files.length === 0) return
    try {
      await this.service.addRecordings(files, { atStart: true })
    } catch (err) {
      // Gone between the check and now: the page says so, the app opens all the same.
      this.service.announce(toErrorInfo(err))
      return
    }
    await this.remember(files)
  }

  /**
   * List the files and tell the page to open them; a file that cannot be read is said to
   * the page (the rest of what was picked is not opened either: all or none, as the CLI).
   * Resolves false when it failed.
   */
  async open(files: readonly string[]): Promise<boolean> {
    if (files.length === 0) return true
    try {
      await this.service.addRecordings(files)
    } catch (err) {
      this.service.announce(toErrorInfo(err))
      return false
    }
    await this.remember(files)
    return true
  }

  /** File › Open…: the dialog, then open(). */
  async openFromDialog(): Promise<void> {
    await this.open(await this.platform.pickTraces())
  }

  /** File › Open Recent › FILE: one that is gone is dropped from the list as well as reported. */
  async openRecent(file: string): Promise<void> {
    if (!(await this.open([file]))) {
      await this.recent.remove(file)
      this.notify()
    }
  }

  async clearRecent(): Promise<void> {
    await this.recent.clear()
    this.notify()
  }

  /**
   * Save trace (the page's saveTrace request): the save dialog, then the session written
   * there (writeSessionTrace); null if cancelled. Rejects with TRACE_WRITE_FAILED, and the
   * session is as it was: the person can save again elsewhere.
   */
  async save(): Promise<SavedTrace | null> {
    const file = await this.platform.pickSavePath(sessionTraceName())
    if (!file) return null
    const saved = await writeSessionTrace(this.service.recorded(), file)
    await this.remember([file])
    return saved
  }

  /** Save trace from the menu: no request to answer, so a failure goes to the page as a problem. */
  async saveFromMenu(): Promise<void> {
    try {
      await this.save()
    } catch (err) {
      this.service.announce(toErrorInfo(err))
    }
  }

  private async remember(files: readonly string[]): Promise<void> {
    await this.recent.add(files)
    for (const file of this.recent.list().filter((f) => files.includes(f))) this.platform.addRecentDocument(file)
    this.notify()
  }

  private notify(): void {
    for (const listener of this.changed) listener()
  }
}
