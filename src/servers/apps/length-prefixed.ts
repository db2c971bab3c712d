import { type App, protocolError, receive, send } from './app.ts'

const SPACE = 0x20
/**
 * The longest prefix read: 1 GiB (the highest --max-length) has 10 digits. Leading zeros
 * keep the number small however many there are, so without this a client could stream
 * zeros forever into a prefix that never goes over the limit.
 */
const MAX_PREFIX_DIGITS = 20

/** A prefix as the client sent it, short and printable, for the error line. */
function shown(prefix: Uint8Array): string {
  const text = Buffer.from(prefix.subarray(0, 20)).toString('latin1').replace(/[^\x20-\x7e]/g, '?')
  return prefix.byteLength > 20 ? `${text}…` : text
}

/**
 * Seed 004's EchoCount: the client sends `<n> <data>`; the server echoes exactly n bytes
 * of data, as they arrive, then closes (transport.loseConnection()). The prefix may come
 * split across any number of reads, a byte at a time if the network says so. Unlike the
 * seed ("we don't do a security check"), a prefix that is not a number, or announces
 * more than --max-length bytes, gets an error line and a close.
 */
export const lengthPrefixedApp: App = {
  name: 'length-prefixed',
  summary: "'<n> <data>': echo exactly n bytes, then close; bad or oversized prefixes get an error (seed 004)",
  options: ['maxLength'],
  *handle(ctx) {
    const limit = ctx.options.maxLength
    let prefix: Uint8Array = new Uint8Array(0)
    let rest: Uint8Array | undefined
    while (rest === undefined) {
      const data = yield* receive(1024)
      if (data.byteLength === 0) return
      const space = data.indexOf(SPACE)
      prefix = Buffer.concat([prefix, space < 0 ? data : data.subarray(0, space)])
      const digits = /^[0-9]*$/.test(Buffer.from(prefix).toString('latin1'))
      if (!digits || (space >= 0 && prefix.byteLength === 0) || prefix.byteLength > MAX_PREFIX_DIGITS) {
        yield protocolError('BAD_PREFIX', `length prefix '${shown(prefix)}' is not a number`)
        yield send(`error: bad length prefix '${shown(prefix)}': send '<n> <data>' with n in decimal digits\r\n`)
        return
      }
      // Checked before the space arrives: a client must not be able to stream digits forever.
      const announced = Number(Buffer.from(prefix).toString('latin1'))
      if (announced > limit) {
        yield protocolError('TOO_LONG', `length ${shown(prefix)} is over the limit of ${limit} bytes`)
        yield send(`error: length ${shown(prefix)} is over the limit of ${limit} bytes (--max-length)\r\n`)
        return
      }
      if (space >= 0) rest = data.subarray(space + 1)
    }
    let left = Number(Buffer.from(prefix).toString('latin1'))
    while (left > 0) {
      if (rest.byteLength === 0) {
        rest = yield* receive(Math.min(1024, left))
        // The client gave up before sending all it announced: nothing more to echo.
        if (rest.byteLength === 0) return
      }
      const part = rest.subarray(0, left)
      yield send(part)
      left -= part.byteLength
      rest = new Uint8Array(0)
    }
  },
}
