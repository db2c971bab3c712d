/**
 * Bytes from the network as text for names and events, without losing any: valid UTF-8
 * reads as itself, and each byte that is not part of a valid UTF-8 sequence reads as
 * `\xNN` (Python's 'backslashreplace'), so it never turns into U+FFFD. A backslash reads
 * as `\\`, so the text of two different byte strings is never the same: the four
 * characters `\xff` and the byte 0xff are two names.
 */
export function textOf(bytes: Uint8Array): string {
  let text = ''
  let runStart = 0
  const run = (end: number) => {
    if (end > runStart) text += Buffer.from(bytes.buffer, bytes.byteOffset + runStart, end - runStart).toString('utf8')
  }
  for (let i = 0; i < bytes.byteLength; ) {
    const length = sequenceLength(bytes, i)
    if (length > 0 && bytes[i] !== BACKSLASH) {
      i += length
      continue
    }
    run(i)
    text += bytes[i] === BACKSLASH ? '\\\\' : `\\x${bytes[i]!.toString(16).padStart(2, '0')}`
    runStart = ++i
  }
  run(bytes.byteLength)
  return text
}

const BACKSLASH = 0x5c

/** The length of the valid UTF-8 sequence at `i` (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!
  if (lead < 0x80) return 1
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0
  if (length === 0 || i + length > bytes.byteLength) return 0
  for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0
  const second = bytes[i + 1]!
  if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return 0
  return length
}
