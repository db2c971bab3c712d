import { type App, lock, protocolError, readState, send, sleep, unlock, writeState } from './app.ts'
import { LineReader } from './lines.ts'
import { textOf } from './text.ts'

const COLON = 0x3a
/** Python's bytes.strip() whitespace: a line of only these is an empty line. */
const BLANK = /^[ \t\n\r\x0b\x0c]*$/

/** Seed 002's `lock = threading.Lock()`, which guards the global `people`. */
export const BANK_LOCK = 'people'

/**
 * How long a teller takes between reading a balance and writing it back. It stands for
 * the seed's `people[name] += 1`, which is a read, then a write: whatever can run between
 * the two (another thread, another coroutine at an await) may read the same old value,
 * and one of the two updates is lost. The lock, when on, covers the whole window.
 */
export const RACE_WINDOW_MS = 1

/** The longest account name (the thread model keeps names in fixed-size shared slots). */
export const MAX_NAME_BYTES = 60

/**
 * Seed 002's bank: `jack:dp` deposits 1 into jack's account, `jack:wd` withdraws 1 if
 * there is any; the reply is `jack's money: N` or `jack has no money!!` (the seed's text,
 * \r\n line ends). Any other command after the colon just reports the balance. Balances
 * are the server's shared state: how shared they really are is the model's doing (one
 * process, threads over shared memory, or a forked child's own copy).
 *
 * Names are bytes, as in the seed (Python 3 sockets give bytes): a name that is not
 * UTF-8 is its own account, and the reply carries it back byte for byte. Its key in the
 * server's state (and in state events) is its text with such bytes escaped (textOf).
 */
export const bankApp: App = {
  name: 'bank',
  summary: "'name:dp' / 'name:wd' move a shared balance by 1 (seed 002); --lock on|off shows the race",
  options: ['lock', 'maxLength'],
  *handle(ctx) {
    const { lock: useLock, maxLength } = ctx.options
    const lines = new LineReader(maxLength)
    while (true) {
      const next = yield* lines.next()
      if ('eof' in next) return
      if ('tooLong' in next) {
        yield protocolError('TOO_LONG', `a line longer than ${maxLength} bytes`)
        yield send(`error: line longer than ${maxLength} bytes (--max-length)\r\n`)
        return
      }
      const { line } = next
      // telnet users press Enter on an empty line; the seed ignores those too.
      if (BLANK.test(line.toString('latin1'))) continue
      const colon = line.indexOf(COLON)
      if (colon < 0) {
        yield send(`error: expected name:dp or name:wd\r\n`)
        continue
      }
      const nameBytes = line.subarray(0, colon)
      const command = line.subarray(colon + 1)
      if (nameBytes.byteLength > MAX_NAME_BYTES) {
        yield send(`error: an account name has at most ${MAX_NAME_BYTES} bytes\r\n`)
        continue
      }
      const deposit = command.includes('dp')
      const withdraw = !deposit && command.includes('wd')
      const name = textOf(nameBytes)
      if (useLock) yield lock(BANK_LOCK)
      try {
        const balance = yield* readState(name)
        let updated = balance
        if (deposit || withdraw) {
          yield sleep(RACE_WINDOW_MS)
          if (deposit) updated = balance + 1
          else if (balance > 0) updated = balance - 1
        }
        if (updated !== balance) yield writeState(name, updated)
        // As in the seed, the reply is sent while the lock is still held.
        yield send(Buffer.concat([nameBytes, Buffer.from(updated === 0 ? ' has no money!!\r\n' : `'s money: ${updated}\r\n`)]))
      } finally {
        if (useLock) yield unlock(BANK_LOCK)
      }
    }
  },
}
