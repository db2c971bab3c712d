import type { SockscopeEvent } from '../events.ts'
import type { ClientResult } from '../host/protocol.ts'

const seconds = (us: number) => `${(us / 1e6).toFixed(3)}s`

/** One readable log line per event, for the terminal (`serve` and `clients` without --quiet). */
export function formatEvent(e: SockscopeEvent): string {
  const head = `${seconds(e.t).padStart(9)}  ${e.src.role === 'server' ? 'S' : 'C'} pid ${String(e.src.pid).padEnd(7)}${e.src.tid ? `t${e.src.tid} ` : ''}`
  const conn = 'conn' in e && e.conn ? ` [${e.conn}]` : ''
  return `${head}${e.kind.padEnd(13)}${conn}${detail(e)}`
}

function detail(e: SockscopeEvent): string {
  switch (e.kind) {
    case 'listen':
      return ` ${e.host}:${e.port} model=${e.model} app=${e.app}`
    case 'connect':
      return ` ${e.local} → ${e.remote}`
    case 'queued':
      return ` queue depth ${e.depth}`
    case 'accept':
      return ` from ${e.remote}${e.waitedUs > 1000 ? `, waited ${seconds(e.waitedUs)} in the accept queue` : ''}`
    case 'recv':
    case 'send':
      return ` ${e.bytes} B '${e.preview}'`
    case 'close':
      return ` by ${e.by}`
    case 'fork':
      return ` child pid ${e.childPid}`
    case 'exit':
      return ` child pid ${e.childPid} ${e.signal ?? `code ${e.code}`}`
    case 'reap':
      return ` child pid ${e.childPid} policy=${e.policy} after ${e.trigger}, zombie for ${seconds(e.zombieUs)}${e.modelled ? ' (modelled: Node reaped at exit)' : ''}`
    case 'thread-start':
    case 'thread-end':
      return ` thread ${e.threadId}`
    case 'block':
      return ` on ${e.on}`
    case 'unblock':
      return ` on ${e.on} after ${seconds(e.blockedUs)}`
    case 'error':
      return ` ${e.code}: ${e.message}`
    default:
      return ''
  }
}

/** The events a person watching a server wants by default; block/unblock is noise there. */
export function isHeadline(e: SockscopeEvent): boolean {
  return e.kind !== 'block' && e.kind !== 'unblock'
}

export function formatResult(r: ClientResult): string {
  const head = `client ${String(r.client).padStart(3)}  ${(r.conn ?? '-').padEnd(12)} ${(r.elapsedMs / 1000).toFixed(3).padStart(7)} s`
  const replies = r.replies.map((reply) => JSON.stringify(reply)).join('  ')
  return r.error ? `${head}  ERROR ${r.error.code}: ${r.error.message}${replies ? `  (got ${replies})` : ''}` : `${head}  ${replies}`
}
