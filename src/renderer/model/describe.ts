import type { SockscopeEvent } from '../../servers/events.ts'
import { shortCommand } from '../../servers/os/command.ts'
import { formatClock, formatDuration } from '../timeline/time-scale.ts'

/** How an event reads in the log's detail column and in tooltips. */
export function summarize(e: SockscopeEvent): string {
  switch (e.kind) {
    case 'listen':
      return `listening on ${e.host}:${e.port} (${e.model}, ${e.app})`
    case 'connect':
      return `connected ${e.local} → ${e.remote}`
    case 'queued':
      return `in the accept queue (depth ${e.depth})`
    case 'accept':
      return `accepted from ${e.remote}${e.waitedUs >= 1000 ? ` after ${formatDuration(e.waitedUs)} in the queue` : ''}`
    case 'recv':
    case 'send':
      return `${e.bytes} B  "${e.preview}"`
    case 'close':
      return e.by === 'local' ? 'closed by this side' : e.by === 'peer' ? 'closed: the peer closed first' : 'closed after an error'
    case 'fork':
      return `forked child pid ${e.childPid}`
    case 'exit':
      return `child pid ${e.childPid} exited (${e.signal ?? `code ${e.code}`})`
    case 'reap':
      return `child pid ${e.childPid} reaped (${e.policy}, on ${e.trigger}) after ${formatDuration(e.zombieUs)} as a zombie${e.modelled ? ' · modelled' : ''}`
    case 'thread-start':
      return `thread ${e.threadId} started`
    case 'thread-end':
      return `thread ${e.threadId} ended`
    case 'task-start':
      return `task ${e.task} started`
    case 'task-end':
      return `task ${e.task} ended`
    case 'wakeup':
      return `woke after ${formatDuration(e.waitedUs)}: readable [${e.readable.join(', ')}] writable [${e.writable.join(', ')}]`
    case 'block':
      return `blocked on ${e.on}`
    case 'unblock':
      return `resumed from ${e.on} after ${formatDuration(e.blockedUs)}`
    case 'lock-wait':
      return `waits for lock ${e.lock}`
    case 'lock-acquire':
      return `acquired lock ${e.lock} after ${formatDuration(e.waitedUs)}`
    case 'lock-release':
      return `released lock ${e.lock}`
    case 'phase':
      return `${e.phase} ${e.edge}`
    case 'error':
      return `${e.code}: ${e.message}`
    case 'state': {
      const memory = e.memory === 'copy' ? "this child's own copy" : e.memory === 'shared' ? 'shared by the threads' : "the process's memory"
      return `${e.access === 'read' ? 'reads' : 'writes'} ${e.key} = ${e.value} (${memory})`
    }
    case 'proc':
      if (e.change === 'usage') return `OS: pid ${e.pid} uses ${e.cpuPercent ?? '?'}% CPU, ${e.rssBytes != null ? `${Math.round(e.rssBytes / 1048576)} MB` : '? MB'}`
      return `OS: pid ${e.pid} ${e.change}, state ${e.state}, ${e.threads ?? '?'} threads: ${shortCommand(e.command)}`
    case 'sockets':
      return `OS: pid ${e.pid} has ${e.sockets?.length ?? '?'} TCP sockets`
    default:
      return ''
  }
}

export interface EventDetails {
  title: string
  rows: [string, string][]
  /** The data, for recv / send. */
  preview?: string
}

/** A tooltip's content for one event. */
export function describeEvent(e: SockscopeEvent, origin: number, connLabel?: (conn: string) => string | undefined): EventDetails {
  const side = e.src.role === 'client' ? 'client' : e.src.role === 'server' ? 'server' : e.src.role
  const rows: [string, string][] = [
    ['time', formatClock(e.t - origin)],
    ['side', `${side} · ${e.src.run}`],
    ['process', `pid ${e.src.pid}${e.src.tid ? ` · thread ${e.src.tid}` : ''}`],
  ]
  const conn = (e as { conn?: string }).conn
  if (conn) rows.push(['connection', `${connLabel?.(conn) ?? ''} ${conn}`.trim()])
  const details: EventDetails = { title: `${side} ${e.kind}`, rows }
  if (e.kind === 'recv' || e.kind === 'send') {
    rows.push(['bytes', String(e.bytes)])
    details.preview = e.preview
  } else {
    const text = summarize(e)
    if (text) rows.push(['what', text])
  }
  return details
}
