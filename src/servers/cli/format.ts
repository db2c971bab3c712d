import { shortCommand } from '../os/command.ts'
import type { OsSocket, ProcEvent, Role, SocketsEvent, SockscopeEvent, StateEvent } from '../events.ts'
import type { ClientResult } from '../host/protocol.ts'

const seconds = (us: number) => `${(us / 1e6).toFixed(3)}s`

/** Who saw the event, in the line's second column: the OS sampler is not a server or a client. */
const ROLE_LABEL: Record<Role, string> = { server: 'S', client: 'C', lab: 'lab', os: 'os' }

/**
 * One readable log line per event, for the terminal (`serve` and `clients` without --quiet):
 *
 *        2.058s  S   pid 9832   accept        [55518>45341] from 127.0.0.1:55518
 *        2.297s  os  pid 9270   appeared      S  7 thr  ppid 9176  node fork-child.ts
 *
 * An `os` event's pid column is the process the OS reported on, not the sampler that read
 * it (the lab itself), and its kind column says what changed (appeared, changed, gone, sockets).
 */
export function formatEvent(e: SockscopeEvent): string {
  const os = e.src.role === 'os'
  const pid = e.kind === 'proc' || e.kind === 'sockets' ? e.pid : e.src.pid
  const thread = !os && e.src.tid ? `t${e.src.tid} ` : ''
  const head = `${seconds(e.t).padStart(9)}  ${(ROLE_LABEL[e.src.role] ?? e.src.role).padEnd(3)} pid ${String(pid).padEnd(7)}${thread}`
  const kind = e.kind === 'proc' ? e.change : e.kind
  const conn = 'conn' in e && e.conn ? ` [${e.conn}]` : ''
  return `${head}${kind.padEnd(13)}${conn}${detail(e)}`.trimEnd()
}

function detail(e: SockscopeEvent): string {
  switch (e.kind) {
    case 'listen':
      return ` ${e.host}:${e.port} model=${e.model} app=${e.app}`
    case 'connect':
      return ` ${address(e.local)} → ${address(e.remote)}`
    case 'queued':
      return ` queue depth ${e.depth}`
    case 'accept':
      return ` from ${peer(e.remote)}${e.waitedUs > 1000 ? `, waited ${seconds(e.waitedUs)} in the accept queue` : ''}`
    case 'recv':
    case 'send':
      return ` ${e.bytes} B '${e.preview}'`
    case 'close':
      return ` by ${e.by}`
    case 'fork':
      return ` child pid ${e.childPid}`
    case 'exit':
      return ` child pid ${e.childPid}${e.signal ? ` killed by ${e.signal}` : e.code !== null ? ` code ${e.code}` : ''}`
    case 'reap':
      return ` child pid ${e.childPid} policy=${e.policy} after ${e.trigger}, zombie for ${seconds(e.zombieUs)}${e.modelled ? ' (modelled: Node reaped at exit)' : ''}`
    case 'thread-start':
    case 'thread-end':
      return ` thread ${e.threadId}`
    case 'task-start':
    case 'task-end':
      return ` ${e.task}`
    case 'wakeup':
      return ` ${readySet(e.readable, e.writable)} after ${seconds(e.waitedUs)}`
    case 'block':
      return ` on ${e.on}`
    case 'unblock':
      return ` on ${e.on} after ${seconds(e.blockedUs)}`
    case 'lock-wait':
    case 'lock-release':
      return ` ${e.lock}`
    case 'lock-acquire':
      return ` ${e.lock}${e.waitedUs > 1000 ? ` after waiting ${seconds(e.waitedUs)}` : ''}`
    case 'phase':
      return ` ${e.phase} ${e.edge}`
    case 'state':
      return state(e)
    case 'error':
      return ` ${e.code}: ${e.message}`
    case 'proc':
      return proc(e)
    case 'sockets':
      return sockets(e)
    default: {
      // A new kind must get its line here; until it does, it prints its name alone.
      const unhandled: never = e
      void unhandled
      return ''
    }
  }
}

/**
 * An address as `host:port`. A connection the peer reset while it waited in the accept
 * queue has no address left to ask for (getpeername fails), which a server reports as
 * `undefined:undefined`; say so instead.
 */
function address(value: string | undefined): string {
  return !value || /^(undefined|null)?:(undefined|null)?$/.test(value) ? 'an unknown address' : value
}

function peer(remote: string | undefined): string {
  const shown = address(remote)
  return shown === 'an unknown address' ? 'a peer already gone (no address: it reset the connection while queued)' : shown
}

function readySet(readable: readonly string[], writable: readonly string[]): string {
  const parts = [readable.length ? `readable ${readable.join(' ')}` : '', writable.length ? `writable ${writable.join(' ')}` : ''].filter(Boolean)
  return parts.length ? parts.join(', ') : 'nothing ready'
}

const MEMORY: Record<StateEvent['memory'], string> = {
  process: 'process memory',
  shared: 'shared by all threads',
  copy: "this child's own copy",
}

function state(e: StateEvent): string {
  return ` ${e.access.padEnd(5)} ${e.key} = ${e.value} (${MEMORY[e.memory] ?? e.memory})`
}

/** `S  3 thr  ppid 1233  python3 server.py`; a process that is gone prints its command alone. */
function proc(e: ProcEvent): string {
  const command = shortCommand(e.command) || (e.name ? `[${e.name}]` : '?')
  if (e.change === 'gone') return ` ${command}`
  if (e.change === 'usage') return ` ${e.cpuPercent ?? '?'}% CPU  ${e.rssBytes != null ? `${Math.round(e.rssBytes / 1048576)} MB` : '? MB'}  ${command}`
  const threads = e.threads === null || e.threads === undefined ? '' : `${e.threads} thr  `
  return ` ${e.state || '?'}  ${threads}ppid ${e.ppid}  ${command}`
}

/** `4 TCP sockets, listening 127.0.0.1:50007 (accept queue 2)`. */
function sockets(e: SocketsEvent): string {
  if (e.sockets === null) return " cannot be read (another user's process?)"
  const count = `${e.sockets.length} TCP socket${e.sockets.length === 1 ? '' : 's'}`
  const listening = e.sockets.filter((s) => s.state === 'LISTEN').map(listener)
  return ` ${count}${listening.length ? `, listening ${listening.join(', ')}` : ''}`
}

function listener(s: OsSocket): string {
  return `${s.local}${s.acceptQueue === null || s.acceptQueue === undefined ? '' : ` (accept queue ${s.acceptQueue})`}`
}

/** The events a person watching a server wants by default; block/unblock is noise there. */
export function isHeadline(e: SockscopeEvent): boolean {
  // CPU and memory updates are for live tables, not for a log that scrolls by.
  return e.kind !== 'block' && e.kind !== 'unblock' && !(e.kind === 'proc' && e.change === 'usage')
}

export function formatResult(r: ClientResult): string {
  const head = `client ${String(r.client).padStart(3)}  ${(r.conn ?? '-').padEnd(12)} ${(r.elapsedMs / 1000).toFixed(3).padStart(7)} s`
  const replies = r.replies.map((reply) => JSON.stringify(reply)).join('  ')
  return (r.error ? `${head}  ERROR ${r.error.code}: ${r.error.message}${replies ? `  (got ${replies})` : ''}` : `${head}  ${replies}`).trimEnd()
}
