/**
 * Pure parsers for Linux's /proc text (proc(5)). They take what a read returned and
 * return plain values; reading, caching and timing live in linux.ts.
 */

export type Endianness = 'LE' | 'BE'

/** /proc/PID/stat, the fields the sampler uses. */
export interface ProcStat {
  pid: number
  /** The short name (comm, at most 15 bytes); kept after exit, so zombies have it. */
  comm: string
  /** R running, S sleeping, D disk sleep, Z zombie, T stopped, t traced, I idle, X dead… */
  state: string
  ppid: number
  pgrp: number
  session: number
  /** CPU time in clock ticks (USER_HZ). */
  utimeTicks: number
  stimeTicks: number
  threads: number
  /** Clock ticks after boot when the process started. */
  startTicks: number
  vsizeBytes: number
  rssPages: number
}

/**
 * The comm field is in parentheses and may itself hold spaces and ')' — "(a) b)" is a
 * valid name — so the fields after it are found from the last ')'.
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) throw new Error(`not a /proc/PID/stat line: ${JSON.stringify(text.slice(0, 80))}`)
  const rest = text.slice(close + 2).trimEnd().split(' ')
  // rest[k] is field k + 3 of proc(5): state is field 3, ppid 4, … rss 24.
  const field = (n: number) => Number(rest[n - 3])
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    utimeTicks: field(14),
    stimeTicks: field(15),
    threads: field(20),
    startTicks: field(22),
    vsizeBytes: field(23),
    rssPages: field(24),
  }
}

/** /proc/PID/status: `Key:\tvalue` lines. */
export interface ProcStatus {
  name: string
  state: string
  /** Thread group id: equals the pid for a process, differs for one of its threads. */
  tgid: number
  ppid: number
  /** Real user id. */
  uid: number
  threads: number
  /** null for zombies and kernel threads, which have no memory of their own. */
  rssBytes: number | null
  voluntarySwitches: number
  involuntarySwitches: number
}

export function parseStatus(text: string): ProcStatus {
  const fields = new Map<string, string>()
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim())
  }
  const num = (key: string) => Number.parseInt(fields.get(key) ?? '', 10)
  const rss = fields.get('VmRSS')
  return {
    name: fields.get('Name') ?? '',
    state: (fields.get('State') ?? '?').charAt(0),
    tgid: num('Tgid'),
    ppid: num('PPid'),
    uid: Number.parseInt((fields.get('Uid') ?? '').split(/\s+/)[0] ?? '', 10),
    threads: num('Threads'),
    // Always reported in kB, whatever the page size.
    rssBytes: rss === undefined ? null : Number.parseInt(rss, 10) * 1024,
    voluntarySwitches: num('voluntary_ctxt_switches'),
    involuntarySwitches: num('nonvoluntary_ctxt_switches'),
  }
}

/** /proc/PID/cmdline: arguments separated (and ended) by NUL; empty for zombies and kernel threads. */
export function parseCmdline(raw: Buffer | string): string[] {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8')
  const args = text.split('\0')
  if (args.at(-1) === '') args.pop()
  return args
}

/**
 * What `ps -f` prints in CMD: the arguments, or the bracketed short name when there are
 * none (kernel threads, zombies), and `<defunct>` after a zombie's.
 */
export function commandLine(args: readonly string[], comm: string, state: string): string {
  if (state === 'Z') return `[${comm}] <defunct>`
  return args.length ? args.join(' ') : `[${comm}]`
}

/** Entries of /proc/PID/task (or /proc itself): the numeric ones, ascending. */
export function parseTaskDir(names: readonly string[]): number[] {
  const ids: number[] = []
  for (const name of names) if (/^\d+$/.test(name)) ids.push(Number(name))
  return ids.sort((a, b) => a - b)
}

/** /proc/PID/task/TID/children: the pids of that thread's children, space-separated. */
export function parseChildren(text: string): number[] {
  return text.split(' ').filter((s) => s.trim() !== '').map(Number)
}

/** The target of a /proc/PID/fd/N link, when that descriptor is a socket: its inode. */
export function parseSocketLink(target: string): number | null {
  const match = /^socket:\[(\d+)\]$/.exec(target)
  return match ? Number(match[1]) : null
}

/** `btime` of /proc/stat: the boot time (s since the epoch) that start times count from. */
export function parseBootTime(procStat: string): number {
  const match = /^btime\s+(\d+)$/m.exec(procStat)
  if (!match) throw new Error('no btime line in /proc/stat')
  return Number(match[1])
}

/**
 * /proc/self/auxv: the kernel's (type, value) word pairs handed to every process. Node
 * has no sysconf(), and these are where libc's sysconf gets the page size (AT_PAGESZ)
 * and the tick rate of /proc's CPU times (AT_CLKTCK).
 */
export function parseAuxv(raw: Buffer, wordBytes: 4 | 8 = 8, endianness: Endianness = 'LE'): Map<number, bigint> {
  const read = (offset: number): bigint =>
    wordBytes === 8
      ? endianness === 'LE'
        ? raw.readBigUInt64LE(offset)
        : raw.readBigUInt64BE(offset)
      : BigInt(endianness === 'LE' ? raw.readUInt32LE(offset) : raw.readUInt32BE(offset))
  const entries = new Map<number, bigint>()
  for (let offset = 0; offset + 2 * wordBytes <= raw.length; offset += 2 * wordBytes) {
    const type = Number(read(offset))
    if (type === 0) break // AT_NULL ends the vector
    entries.set(type, read(offset + wordBytes))
  }
  return entries
}

export const AT_PAGESZ = 6
export const AT_CLKTCK = 17

/** include/net/tcp_states.h */
export const TCP_STATES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
}

/** One row of /proc/net/tcp or /proc/net/tcp6. */
export interface NetTcpRow {
  family: 'tcp' | 'tcp6'
  localAddress: string
  localPort: number
  remoteAddress: string
  remotePort: number
  state: string
  /** For LISTEN the kernel puts the accept queue's length here (sk_ack_backlog). */
  rxQueue: number
  txQueue: number
  uid: number
  /** 0 for sockets no descriptor holds any more (TIME_WAIT, half-accepted). */
  inode: number
}

/**
 * /proc/net/tcp{,6}. Addresses are the kernel's in-memory bytes printed as 32-bit words
 * in host order, so on a little-endian machine 127.0.0.1 reads 0100007F.
 */
export function parseNetTcp(text: string, family: 'tcp' | 'tcp6', endianness: Endianness = 'LE'): NetTcpRow[] {
  const rows: NetTcpRow[] = []
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 10) continue
    const [local, remote, st, queues, , , uid, , inode] = cols.slice(1) as string[]
    const [localHex, localPort] = local!.split(':') as [string, string]
    const [remoteHex, remotePort] = remote!.split(':') as [string, string]
    const [tx, rx] = queues!.split(':') as [string, string]
    const state = Number.parseInt(st!, 16)
    rows.push({
      family,
      localAddress: decodeAddress(localHex, endianness),
      localPort: Number.parseInt(localPort, 16),
      remoteAddress: decodeAddress(remoteHex, endianness),
      remotePort: Number.parseInt(remotePort, 16),
      state: TCP_STATES[state] ?? `0x${st}`,
      rxQueue: Number.parseInt(rx, 16),
      txQueue: Number.parseInt(tx, 16),
      uid: Number(uid),
      inode: Number(inode),
    })
  }
  return rows
}

/** A hex address of /proc/net/tcp{,6} as text: 8 hex digits for IPv4, 32 for IPv6. */
export function decodeAddress(hex: string, endianness: Endianness = 'LE'): string {
  const bytes: number[] = []
  for (let i = 0; i < hex.length; i += 8) {
    const word = Number.parseInt(hex.slice(i, i + 8), 16)
    const wordBytes = [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff]
    bytes.push(...(endianness === 'LE' ? wordBytes.reverse() : wordBytes))
  }
  if (bytes.length === 4) return bytes.join('.')
  if (bytes.length !== 16) throw new Error(`not an address: ${hex}`)
  return formatIpv6(bytes)
}

/** RFC 5952 text: lower case, longest run of zero groups as `::`, IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(bytes: readonly number[]): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${bytes.slice(12).join('.')}`
  let bestStart = -1
  let bestLength = 1 // a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/** `address:port`, with IPv6 addresses in brackets; a listener's unset peer as `*:*`. */
export function endpoint(address: string, port: number): string {
  if (port === 0 && (address === '0.0.0.0' || address === '::')) return '*:*'
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}
