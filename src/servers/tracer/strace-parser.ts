/**
 * A streaming parser of `strace -f -ttt -T -yy` output: text in, one record per system
 * call, signal or exit out. Pure (no I/O): the runner feeds it what strace writes, tests
 * feed it traces captured from real runs.
 *
 * What strace writes, and what this makes of it:
 *  - `PID  1796187871.937242 wait4(0, [...], WNOHANG, NULL) = 7092 <0.000056>`: a whole call
 *    (the time is when it began, `<…>` how long it took) → a `call`;
 *  - `PID  TS accept4(3<TCP:[127.0.0.1:50123]>,  <unfinished ...>`: a call that has not
 *    returned when another process's line had to be written → an `enter`, and later
 *    `PID  TS <... accept4 resumed>0x7ff…, [16], SOCK_CLOEXEC) = 4<TCP:[…]> <1.051715>`,
 *    paired by pid with its beginning → a `call` timed from the beginning;
 *  - strace writes a call's beginning as soon as it is made, and the rest when it returns,
 *    so a stream whose last line has no end yet holds a call in progress: `partialEntry()`
 *    reads it (the runner asks once the stream has been quiet a moment: a blocked call);
 *  - `--- SIGCHLD {si_signo=SIGCHLD, …} ---` → a `signal`; `+++ exited with 0 +++`,
 *    `+++ killed by SIGTERM +++` → an `exit`.
 * Lines it cannot read are counted (`unparsed`), never thrown on; a line longer than
 * MAX_LINE is cut and counted too, so that one runaway line cannot grow the buffer.
 */

export interface CallRecord {
  type: 'call'
  pid: number
  /** When the call began: µs since the Unix epoch, as strace read the wall clock. */
  wallUs: number
  name: string
  /** The arguments as strace printed them (everything between the parentheses). */
  args: string
  /** The return value as printed: `0`, `4<TCP:[…]>`, `?`, `-1`, `2 (in [5 6])`. */
  ret: string
  /** The return value as a number (null for `?`). */
  value: number | null
  /** EAGAIN, ERESTARTSYS, …; null when the call succeeded. */
  errno: string | null
  /** µs spent in the call (null where strace does not say: a call that never returned). */
  durationUs: number | null
}

export interface EnterRecord {
  type: 'enter'
  pid: number
  wallUs: number
  name: string
  /** The arguments known at entry (the rest comes when the call returns). */
  args: string
}

export interface SignalRecord {
  type: 'signal'
  pid: number
  wallUs: number
  signal: string
  detail: string
}

export interface ExitRecord {
  type: 'exit'
  pid: number
  wallUs: number
  code: number | null
  signal: string | null
}

export type StraceRecord = CallRecord | EnterRecord | SignalRecord | ExitRecord

/** Longer lines are cut (strace's `-s 48` keeps ordinary lines short; a select over thousands of sockets is not). */
export const MAX_LINE = 256 * 1024

const HEAD = /^(\d+)\s+(\d+)\.(\d+) /
const UNFINISHED = ' <unfinished ...>'
const RESUMED = /^<\.\.\. ([a-z0-9_?]+) resumed>/
const CALL_START = /^([a-z0-9_]+)\(/
const DURATION = / <(\d+)\.(\d+)>$/
const RETURN = /^(-?\d+|0x[0-9a-f]+|\?)(.*)$/

function wallUs(seconds: string, fraction: string): number {
  const us = fraction.padEnd(6, '0').slice(0, 6)
  return Number(seconds) * 1_000_000 + Number(us)
}

/** `= RET [ERRNO (words)] [<DUR>]`, split from the arguments at the last `) = `. */
function splitReturn(text: string): { args: string; ret: string; value: number | null; errno: string | null; durationUs: number | null } | null {
  let body = text
  let durationUs: number | null = null
  const d = DURATION.exec(body)
  if (d) {
    durationUs = wallUs(d[1]!, d[2]!)
    body = body.slice(0, d.index)
  }
  const at = body.lastIndexOf(') = ')
  if (at < 0) return null
  const ret = body.slice(at + 4)
  const r = RETURN.exec(ret)
  if (!r) return null
  const value = r[1] === '?' ? null : Number(r[1])
  const errno = /^ ([A-Z][A-Z0-9_]+)\b/.exec(r[2]!)?.[1] ?? null
  return { args: body.slice(0, at), ret, value, errno, durationUs }
}

export class StraceParser {
  /** Lines that matched no form strace writes. */
  unparsed = 0
  /** Lines cut at MAX_LINE. */
  cut = 0
  private tail = ''
  /** Per pid, the beginning of a call strace reported as unfinished. */
  private readonly pending = new Map<number, EnterRecord>()

  /** Feed text as it comes (any chunking); returns the records of the lines it completed. */
  push(chunk: string): StraceRecord[] {
    const out: StraceRecord[] = []
    let text = this.tail + chunk
    let nl: number
    while ((nl = text.indexOf('\n')) >= 0) {
      this.line(text.slice(0, nl), out)
      text = text.slice(nl + 1)
    }
    if (text.length > MAX_LINE) {
      this.cut++
      text = ''
    }
    this.tail = text
    return out
  }

  /** The end of the stream: a last line without a newline is read as a line. */
  end(): StraceRecord[] {
    const out: StraceRecord[] = []
    if (this.tail) this.line(this.tail, out)
    this.tail = ''
    return out
  }

  /** The call strace has begun writing and not finished: one in progress now, or null. */
  partialEntry(): EnterRecord | null {
    const head = HEAD.exec(this.tail)
    if (!head) return null
    const rest = this.tail.slice(head[0].length)
    const call = CALL_START.exec(rest)
    if (!call) return null
    return { type: 'enter', pid: Number(head[1]), wallUs: wallUs(head[2]!, head[3]!), name: call[1]!, args: rest.slice(call[0].length) }
  }

  private line(raw: string, out: StraceRecord[]): void {
    const line = raw.trimEnd()
    if (!line) return
    const head = HEAD.exec(line)
    if (!head) {
      this.unparsed++
      return
    }
    const pid = Number(head[1])
    const t = wallUs(head[2]!, head[3]!)
    const rest = line.slice(head[0].length)
    if (rest.startsWith('+++ ')) {
      const exited = /^\+\+\+ exited with (\d+) \+\+\+$/.exec(rest)
      const killed = /^\+\+\+ killed by (SIG[A-Z0-9]+)/.exec(rest)
      if (exited) out.push({ type: 'exit', pid, wallUs: t, code: Number(exited[1]), signal: null })
      else if (killed) out.push({ type: 'exit', pid, wallUs: t, code: null, signal: killed[1]! })
      else this.unparsed++
      this.pending.delete(pid)
      return
    }
    if (rest.startsWith('--- ')) {
      const sig = /^--- (SIG[A-Z0-9]+) ?(.*?) ?---$/.exec(rest)
      if (sig) out.push({ type: 'signal', pid, wallUs: t, signal: sig[1]!, detail: sig[2]! })
      else this.unparsed++
      return
    }
    const resumed = RESUMED.exec(rest)
    if (resumed) {
      const begun = this.pending.get(pid)
      this.pending.delete(pid)
      let tail = rest.slice(resumed[0].length)
      // A process that ended inside the call: `<... accept4 resumed> <unfinished ...>) = ?`.
      if (tail.startsWith(UNFINISHED)) tail = tail.slice(UNFINISHED.length)
      const r = splitReturn(tail)
      if (!r) {
        this.unparsed++
        return
      }
      const name = resumed[1]!
      const start = begun && begun.name === name ? begun : null
      out.push({ type: 'call', pid, wallUs: start?.wallUs ?? t, name, args: (start?.args ?? '') + r.args, ret: r.ret, value: r.value, errno: r.errno, durationUs: r.durationUs })
      return
    }
    const call = CALL_START.exec(rest)
    if (!call) {
      this.unparsed++
      return
    }
    const name = call[1]!
    const body = rest.slice(call[0].length)
    if (body.endsWith(UNFINISHED)) {
      const enter: EnterRecord = { type: 'enter', pid, wallUs: t, name, args: body.slice(0, -UNFINISHED.length) }
      this.pending.set(pid, enter)
      out.push(enter)
      return
    }
    const r = splitReturn(body)
    if (!r) {
      this.unparsed++
      return
    }
    out.push({ type: 'call', pid, wallUs: t, name, args: r.args, ret: r.ret, value: r.value, errno: r.errno, durationUs: r.durationUs })
  }
}

/** strace's quoted string (C escapes, octal and hex) as the bytes it stands for. */
export function unquote(literal: string): Uint8Array {
  const bytes: number[] = []
  for (let i = 0; i < literal.length; i++) {
    const c = literal[i]!
    if (c !== '\\') {
      bytes.push(literal.charCodeAt(i) & 0xff)
      continue
    }
    const n = literal[++i]
    if (n === undefined) break
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '\\': 92, '"': 34, "'": 39 }
    if (n in simple) bytes.push(simple[n]!)
    else if (n === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(literal.slice(i + 1))![0]
      bytes.push(parseInt(hex, 16))
      i += hex.length
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(literal.slice(i))![0]
      bytes.push(parseInt(oct, 8) & 0xff)
      i += oct.length - 1
    } else bytes.push(n.charCodeAt(0) & 0xff)
  }
  return Uint8Array.from(bytes)
}

/** The first quoted string in a call's arguments (the data of a read or write), as bytes; null if none. */
export function firstString(args: string): Uint8Array | null {
  const m = /"((?:[^"\\]|\\.)*)"/.exec(args)
  return m ? unquote(m[1]!) : null
}
