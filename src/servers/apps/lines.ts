import { type AppOp, type OpResult, receive } from './app.ts'

export type NextLine = { line: string } | { eof: true } | { tooLong: true }

/**
 * Lines out of a byte stream, however TCP splits or joins them: a request typed in
 * telnet may arrive in pieces, and a client that does not wait for replies sends many
 * lines in one segment. Lines end with \n; a \r before it is dropped (telnet sends \r\n).
 */
export class LineReader {
  private pending = Buffer.alloc(0)
  private readonly maxLength: number

  constructor(maxLength: number) {
    this.maxLength = maxLength
  }

  /** `const next = yield* lines.next()`: the next line, EOF, or a line over the limit. */
  *next(): Generator<AppOp, NextLine, OpResult> {
    while (true) {
      const newline = this.pending.indexOf(0x0a)
      if (newline >= 0) {
        const line = this.pending.subarray(0, newline).toString('utf8').replace(/\r$/, '')
        this.pending = this.pending.subarray(newline + 1)
        return { line }
      }
      // Without a limit, a client that never sends \n would grow this buffer forever.
      if (this.pending.byteLength > this.maxLength) return { tooLong: true }
      const data = yield* receive(1024)
      if (data.byteLength === 0) return { eof: true }
      this.pending = Buffer.concat([this.pending, data])
    }
  }
}
