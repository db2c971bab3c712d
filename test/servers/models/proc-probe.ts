import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/**
 * What the kernel says a server process holds right now, for leak checks: its threads,
 * its sockets (TCP and the lab's IPC channel alike), and its live child processes.
 */
export interface Holdings {
  threads: number
  sockets: number
  children: number[]
}

export function holdings(pid: number): Holdings {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN)
  let sockets = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++
    } catch {}
  }
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // A zombie has ended: it holds nothing but its process-table entry.
      if (Number(fields[1]) === pid && fields[0] !== 'Z') children.push(Number(entry))
    } catch {}
  }
  return { threads, sockets, children }
}

/**
 * Bytes the kernel holds unsent (not yet acknowledged) on the loopback TCP socket from
 * localPort to remotePort, from /proc/net/tcp; undefined if there is no such socket.
 */
export function sendQueue(localPort: number, remotePort: number): number | undefined {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0')
  const local = `0100007F:${hex(localPort)}`
  const remote = `0100007F:${hex(remotePort)}`
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields[1] === local && fields[2] === remote) return parseInt(fields[4]!.split(':')[0]!, 16)
  }
  return undefined
}

/**
 * Where the kernel says the main thread of `pid` is waiting right now (its wchan:
 * 'do_epoll_wait' for an idle event loop, a futex wait for a thread asleep in
 * Atomics.wait), '' while it runs, or undefined where the kernel does not say.
 */
export function mainThreadWait(pid: number): string | undefined {
  try {
    const wchan = readFileSync(`/proc/${pid}/task/${pid}/wchan`, 'utf8').trim()
    return wchan === '0' ? '' : wchan
  } catch {
    return undefined
  }
}

/** Resident memory of `pid` (VmRSS, bytes); undefined once the process is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

/** CPU time `pid` has used so far, user + system, in ms (the kernel counts in clock ticks, 10 ms on Linux). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 14 and 15 of proc(5), counted from the state field (3).
  return (Number(fields[11]) + Number(fields[12])) * 10
}
