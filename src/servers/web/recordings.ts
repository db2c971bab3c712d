import fs from 'node:fs'
import path from 'node:path'
import { osErrorWords, SockscopeError } from '../errors.ts'
import { MAX_RECORDING_CHUNK, type RecordingChunk, type RecordingInfo } from './protocol.ts'

/**
 * The trace files a host offers its pages (`sockscope web FILE...`, `sockscope app
 * FILE...`, Electron's File › Open): a list of paths behind indices. The host never
 * parses them (the page does, as it parses a file it was given); it checks that each can
 * be read when it is listed, and hands out its bytes as they are on disk, streamed (web
 * mode's HTTP path) or in bounded chunks (`readRecording`, for Electron's bridge).
 */

/** Recordings one host lists at most: File › Open adds to the list, so it has a cap. */
export const MAX_RECORDINGS = 256

export interface Recording extends RecordingInfo {
  /** Absolute path. */
  readonly path: string
}

/**
 * Refuse, with BAD_OPTION and the OS's words, a path that is missing, not a regular file
 * or not readable (opened, not just stat'ed: permissions, ACLs and a FUSE mount all say
 * their piece). Resolves with its size.
 */
export async function checkReadable(file: string, shownAs: string = file): Promise<number> {
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file, 'r')
  } catch (err) {
    throw new SockscopeError('BAD_OPTION', `cannot read ${shownAs}: ${osErrorWords(err)}`)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new SockscopeError('BAD_OPTION', `cannot read ${shownAs}: it is not a file`)
    return stats.size
  } finally {
    await handle.close().catch(() => {})
  }
}

/**
 * Where relative FILE arguments are resolved from: the directory the person typed the
 * command in. `npm run web -- FILE` and `npm start -- FILE` run this package's script in
 * the package's root, and npm keeps the person's directory in INIT_CWD.
 */
export function argumentBase(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const viaPackageScript = env.npm_package_name === 'sockscope' && (env.npm_lifecycle_event === 'web' || env.npm_lifecycle_event === 'start')
  return viaPackageScript && env.INIT_CWD ? env.INIT_CWD : cwd
}

export class RecordingList {
  private readonly entries: Recording[] = []

  list(): RecordingInfo[] {
    return this.entries.map(({ index, name, bytes }) => ({ index, name, bytes }))
  }

  get(index: number): Recording {
    const found = this.entries[index]
    if (!found)
      throw new SockscopeError('BAD_MESSAGE', this.entries.length ? `no recording ${index}: this lab lists recordings 0 to ${this.entries.length - 1}` : `no recording ${index}: this lab lists none`)
    return found
  }

  /**
   * List these files (absolute or relative to `base`), each checked first (checkReadable);
   * all or none: one that cannot be read refuses the lot. A file already listed keeps its
   * index, with its size as it is now. Resolves with the indices, in the order given.
   */
  async add(files: readonly string[], base = process.cwd()): Promise<number[]> {
    const checked: { file: string; bytes: number }[] = []
    for (const given of files) {
      const file = path.resolve(base, given)
      checked.push({ file, bytes: await checkReadable(file, given) })
    }
    const fresh = new Set(checked.map((c) => c.file).filter((file) => !this.entries.some((e) => e.path === file)))
    if (this.entries.length + fresh.size > MAX_RECORDINGS)
      throw new SockscopeError('LIMIT_REACHED', `a lab lists at most ${MAX_RECORDINGS} recordings; this one has ${this.entries.length}: restart it to open more`)
    return checked.map(({ file, bytes }) => {
      const at = this.entries.findIndex((e) => e.path === file)
      const entry: Recording = { index: at >= 0 ? at : this.entries.length, name: path.basename(file), bytes, path: file }
      this.entries[entry.index] = entry
      return entry.index
    })
  }

  /**
   * Up to `length` bytes of recording `index` from `offset`, base64. Refused (BAD_MESSAGE):
   * a length over MAX_RECORDING_CHUNK, an offset past the file's end. An offset at the end
   * reads nothing, with eof. A file that can no longer be read is TRACE_CORRUPT, as a trace
   * that cannot be read is anywhere.
   */
  async read(index: number, offset: number, length: number): Promise<RecordingChunk> {
    const recording = this.get(index)
    if (length > MAX_RECORDING_CHUNK)
      throw new SockscopeError('BAD_MESSAGE', `readRecording reads at most ${MAX_RECORDING_CHUNK} bytes (4 MiB) at a time, not ${length}: ask for the rest in further chunks`)
    let handle: fs.promises.FileHandle
    try {
      handle = await fs.promises.open(recording.path, 'r')
    } catch (err) {
      throw new SockscopeError('TRACE_CORRUPT', `cannot read ${recording.name}: ${osErrorWords(err)}`)
    }
    try {
      const size = (await handle.stat()).size
      if (offset > size) throw new SockscopeError('BAD_MESSAGE', `offset ${offset} is past the end of ${recording.name} (${size} bytes)`)
      const buffer = Buffer.alloc(Math.min(length, size - offset))
      let filled = 0
      let cut = false
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled)
        // Cut shorter meanwhile: what is there is all it has.
        if (bytesRead === 0) {
          cut = true
          break
        }
        filled += bytesRead
      }
      return { offset, bytes: filled, size, eof: cut || offset + filled >= size, data: buffer.subarray(0, filled).toString('base64') }
    } catch (err) {
      if (err instanceof SockscopeError) throw err
      throw new SockscopeError('TRACE_CORRUPT', `cannot read ${recording.name}: ${osErrorWords(err)}`)
    } finally {
      await handle.close().catch(() => {})
    }
  }
}
