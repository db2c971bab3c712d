/**
 * Errors with codes, carried across processes and the WebSocket as `{ code, message }`.
 * The message is written for the person at the keyboard: what happened and what to do.
 */

export type ErrorCode =
  | 'BAD_OPTION'
  | 'UNKNOWN_MODEL'
  | 'UNKNOWN_APP'
  | 'UNKNOWN_WORKLOAD'
  | 'UNKNOWN_LESSON'
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_RESET'
  | 'CONNECTION_FAILED'
  | 'TIMEOUT'
  | 'HOST_CRASHED'
  | 'BAD_MESSAGE'
  | 'TRACE_CORRUPT'
  | 'NOT_RUNNING'
  | 'NO_SUCH_PROCESS'
  | 'OS_SAMPLE_FAILED'
  | 'UNSUPPORTED_PLATFORM'
  /** A cap on what one user of the lab may ask for (servers, clients, children, sessions…); the message names the cap and how to raise it. */
  | 'LIMIT_REACHED'
  /** Refused on purpose: a host other than loopback, a request without the remote token. */
  | 'NOT_ALLOWED'
  /** A trace that could not be written (disk full, permission): the run's record is incomplete. */
  | 'TRACE_WRITE_FAILED'
  /** A session that did not read what it was sent, dropped so that the lab and other sessions go on. */
  | 'SLOW_CONSUMER'
  /** `sockscope trace` needs strace, which is not installed; the message says how to install it. */
  | 'TRACER_MISSING'
  /** The kernel refused to let strace trace the program (ptrace); the message says what to change. */
  | 'TRACE_NOT_PERMITTED'
  /** `sockscope render` needs ffmpeg for this output, which is not installed; the message says how to install it. */
  | 'ENCODER_MISSING'
  /** `sockscope render` found no headless browser (Chromium) or Electron to draw the frames with. */
  | 'BROWSER_MISSING'
  /** A video or picture could not be made (the encoder died, the disk filled up, the page failed); the partial output is removed. */
  | 'RENDER_FAILED'
  | 'UNKNOWN_PROGRAM'
  /** A code-panel program whose file cannot be read, or whose lineMap names text on no line or on two. */
  | 'BAD_PROGRAM'
  | 'INTERNAL'

export interface ErrorInfo {
  code: ErrorCode
  message: string
}

export class SockscopeError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string) {
    super(message)
    this.name = 'SockscopeError'
    this.code = code
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message }
  }

  static from(info: ErrorInfo): SockscopeError {
    return new SockscopeError(info.code, info.message)
  }
}

/** Any thrown value as `{ code, message }`, for sending across a process boundary. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof SockscopeError) return err.toInfo()
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'INTERNAL', message }
}

const OS_ERROR_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'the disk quota is used up',
  EFBIG: "the file is too large for this system's limit",
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error',
}

/** An OS error as words a person reads, with its code: `no space left on device (ENOSPC)`; else its message. */
export function osErrorWords(err: unknown): string {
  const code = (err as { code?: string }).code
  return code && OS_ERROR_WORDS[code] ? `${OS_ERROR_WORDS[code]} (${code})` : (err as Error).message
}
