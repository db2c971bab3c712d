import { type AppOp, type OpResult, receive } from './app.ts'

/** A line as the client sent it: bytes, whatever their encoding. */
export type NextLine = { line: Buffer } | { eof: true } | { tooLong: true }

const NEWLINE = 0x0a
const CR = 0x0d

/**
 * Lines out of a byte stream, however TCP splits or joins them: a request typed in
 * telnet may arrive in pieces, and a client that does not wait for replies sends many
 * lines in one segment. Lines end with \n; a \r before it is dropped (telnet sends \r\n).
 *
 * Linear in the bytes, however long a line may be (--max-length goes up to 1 GiB): each
 * piece is searched for a newline once, when it arrives, and a line's pieces are joined
 * once, when its newline comes.
 */
export class LineReader {
  /** The current line's pieces so far, none with a newline in it. */
  private pieces: Buffer[] = []
  private pieceBytes = 0
  /** What was received after the last newline found, not searched yet. */
  private unread: Buffer = Buffer.alloc(0)
  private readonly maxLength: number

  constructor(maxLength: number) {
    this.maxLength = maxLength
  }

  /** `const next = yield* lines.next()`: the next line, EOF, or a line over the limit. */
  *next(): Generator<AppOp, NextLine, OpResult> {
    while (true) {
      const newline = this.unread.indexOf(NEWLINE)
      if (newline >= 0) {
        const tail = this.unread.subarray(0, newline)
        let line = this.pieces.length ? Buffer.concat([...this.pieces, tail], this.pieceBytes + tail.byteLength) : tail
        if (line.at(-1) === CR) line = line.subarray(0, -1)
        this.pieces = []
        this.pieceBytes = 0
        this.unread = this.unread.subarray(newline + 1)
        return { line }
      }
      if (this.unread.byteLength) {
        this.pieces.push(this.unread)
        this.pieceBytes += this.unread.byteLength
        this.unread = Buffer.alloc(0)
      }
      // Without a limit, a client that never sends \n would grow this buffer forever.
      if (this.pieceBytes > this.maxLength) return { tooLong: true }
      const data = yield* receive(1024)
      if (data.byteLength === 0) return { eof: true }
      this.unread = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    }
  }
}
