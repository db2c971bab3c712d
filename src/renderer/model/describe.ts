import type { BlockReason, ForkEvent, SockscopeEvent, ThreadStartEvent } from '../../servers/events.ts'
import { shortCommand } from '../../servers/os/command.ts'
import { formatClock, formatDuration } from '../timeline/time-scale.ts'
import type { Phase } from './derive.ts'
import { formatBytes } from './os-view.ts'
import type { SendQueueReading } from './send-queue.ts'

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
      if (e.reset === 'sent') return 'reset by this side (RST, not FIN): the peer\'s next read or write fails'
      if (e.reset === 'received') return 'reset by the peer (RST): ECONNRESET'
      return e.by === 'local' ? 'closed by this side' : e.by === 'peer' ? 'closed: the peer closed first' : 'closed after an error'
    case 'fork':
      return `forked child pid ${e.childPid}${spareNote(e, 'pre-forked spare', 'a fork()')}`
    case 'exit':
      return `child pid ${e.childPid} exited (${e.signal ?? `code ${e.code}`})`
    case 'reap':
      return `child pid ${e.childPid} reaped (${e.policy}, on ${e.trigger}) after ${formatDuration(e.zombieUs)} as a zombie${e.modelled ? ' · modelled' : ''}`
    case 'thread-start':
      return `thread ${e.threadId}${typeof e.osTid === 'number' ? ` (OS thread ${e.osTid})` : ''} started${spareNote(e, 'parked thread', 'a thread start')}`
    case 'thread-end':
      return `thread ${e.threadId} ended`
    case 'task-start':
      return `task ${e.task} started`
    case 'task-end':
      return `task ${e.task} ended`
    case 'wakeup':
      return `woke after ${formatDuration(e.waitedUs)}: readable [${e.readable.join(', ')}] writable [${e.writable.join(', ')}]`
    case 'block':
      if (e.on === 'select') return `waits in select() on ${sockets(e.sockets)}${e.timeoutMs !== undefined ? `, ${formatDuration(e.timeoutMs * 1000)} at most` : ''}`
      if (e.on === 'accept' && e.cause === 'at-cap') return `holds off accepting: ${atCap(e.limit)}`
      return e.waiter === 'task' ? `${waitsFor(e.on)} (this connection only; the loop goes on)` : e.on === 'send' ? `blocked on send: ${PEER_NOT_READING}` : `blocked on ${e.on}`
    case 'unblock':
      return `${e.waiter === 'task' ? 'goes on' : 'resumed'} from ${e.on} after ${formatDuration(e.blockedUs)}`
    case 'lock-wait':
      return `waits for lock ${e.lock}${e.waiter === 'task' ? ' (this connection only; the loop goes on)' : ''}`
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

/**
 * What a fork or thread start that was done ahead of time says of itself: that it was a
 * spare (Node's own start, a V8 isolate booting, happened before, off the accept path),
 * and what the call it stands for costs, measured. Fields read from a trace are checked:
 * a file may carry anything.
 */
export function spareNote(e: ForkEvent | ThreadStartEvent, spareName: string, call: string): string {
  const spare = e.spare
  const cost = e.modelledStart
  const measured =
    cost && typeof cost.us === 'number' && Number.isFinite(cost.us)
      ? `${call} here costs ~${formatDuration(cost.us)} (measured: ${typeof cost.call === 'string' ? cost.call : call} in ${typeof cost.by === 'string' ? cost.by : 'Python'})`
      : undefined
  if (spare && typeof spare === 'object') {
    const boot = typeof spare.startUs === 'number' ? `its own start took ${formatDuration(spare.startUs)}, before this connection` : 'it was still starting'
    const pool = typeof spare.pool === 'number' ? ` (${spare.pool} kept ready)` : ''
    return ` · a ${spareName}${pool}: ${boot}, off the accept path; ${measured ?? `${call}'s own cost was not measured (no python3)`}`
  }
  return measured ? ` · started for this connection, its start (Node's, a V8 isolate booting) on the accept path; ${measured}` : ''
}

const sockets = (n: number | undefined) => (n === undefined ? 'its sockets' : `${n} socket${n === 1 ? '' : 's'}`)

/**
 * Why a send waits, on loopback: the socket's send buffer is full because the client's
 * receive buffer is, so the client has not read what it was sent.
 */
const PEER_NOT_READING = 'the peer is not reading'
const WHY_SEND_WAITS = "the kernel's buffers toward the client are full: it has not read what it was sent"

/** A fork or thread server that serves as many connections at once as it may (its Max children / Max threads). */
const atCap = (limit: number | undefined) => `it serves ${limit ?? 'its most'} connections at once, its cap`

/** A connection's own wait, when its thread goes on without it. */
function waitsFor(on: BlockReason): string {
  switch (on) {
    case 'recv':
      return 'waits for bytes'
    case 'send':
      return `waits for room to send: ${PEER_NOT_READING}`
    case 'lock':
      return 'waits for the lock'
    default:
      return `waits: ${on}`
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

/** What a tooltip needs to know about the lane a phase is on. */
export interface PhaseLane {
  kind: string
  /** The lane's name as drawn (`#3 :45002`, `event loop pid 5556`). */
  title: string
  /** The connection's task, if it is one (asyncio): its waits are awaits. */
  task?: string | null
}

/** What a phase says it is, in a word or two: the bar's label (`await sleep`, `select · 3 sockets`, `send #1`). */
export function phaseName(phase: Phase, lane: Pick<PhaseLane, 'kind' | 'task'>, connLabel?: (conn: string) => string | undefined): string {
  switch (phase.kind) {
    case 'queued':
      return 'accept queue'
    case 'spawn':
    case 'starting':
      return 'starting'
    case 'working':
    case 'running':
      return 'running'
    case 'blocked':
      return phase.task && lane.task ? `await ${phase.on}` : (phase.on ?? 'blocked')
    case 'ready':
      return 'ready'
    case 'sleeping': {
      if (phase.on === 'select') return `select · ${sockets(phase.sockets)}`
      if (phase.cause === 'at-cap') return `at its cap · ${phase.limit ?? '?'}`
      const whose = lane.kind === 'loop' || lane.kind === 'server' ? (phase.conn && (connLabel?.(phase.conn) ?? phase.conn)) : undefined
      return `${phase.on ?? 'blocked'}${whose ? ` ${whose}` : ''}`
    }
    default:
      return phase.kind
  }
}

/** What the OS said during a phase, beside what the server reported. */
export interface PhaseEvidence {
  /** A send's wait: the most the kernel held unsent toward the client meanwhile. */
  sendQueue?: SendQueueReading | null
}

/** A tooltip's content for a phase: what the lane's thread of control, or connection, is doing then. */
export function describePhase(
  phase: Phase,
  lane: PhaseLane,
  origin: number,
  end: number,
  connLabel?: (conn: string) => string | undefined,
  evidence: PhaseEvidence = {},
): EventDetails {
  const label = (conn: string) => connLabel?.(conn) ?? conn
  const rows: [string, string][] = [
    ['for', `${formatDuration(end - phase.start)}${phase.end === null ? ' (so far)' : ''}`],
    ['from', formatClock(phase.start - origin)],
    ['to', phase.end === null ? 'now' : formatClock(phase.end - origin)],
  ]
  let what: string
  switch (phase.kind) {
    case 'queued':
      what = 'in the accept queue'
      rows.push(['what', 'connected; the server has not accepted it yet'])
      break
    case 'blocked':
      if (phase.task) {
        what = lane.task ? `await ${phase.on}` : waitsFor(phase.on ?? 'recv')
        rows.push(['who waits', lane.task ? `only ${lane.task}: the loop runs the other tasks` : 'only this connection: the loop serves the others'])
      } else {
        what = phase.on === 'send' ? `blocked on send: ${PEER_NOT_READING}` : `blocked on ${phase.on}`
        rows.push(['who waits', 'its thread, in a blocking call: nothing else runs on it'])
      }
      if (phase.on === 'send') rows.push(['why', WHY_SEND_WAITS])
      break
    case 'running':
      if (lane.kind !== 'clients') {
        what = 'running'
        break
      }
      // A workload's process says nothing of its own waits: its clients' are on their connections.
      what = 'the workload runs'
      rows.push(['what', 'its clients connect, send and wait for replies: each on its connection\'s lane'])
      break
    case 'ready':
      what = 'ready, waiting for the loop'
      rows.push(['what', 'its client has sent: the bytes are there, and it waits for its event loop to get to it'])
      break
    case 'sleeping':
      if (phase.on === 'select') {
        what = `waiting in select() on ${sockets(phase.sockets)}`
        rows.push(['until', phase.timeoutMs !== undefined ? `one is ready, or ${formatDuration(phase.timeoutMs * 1000)} pass (a timer is due)` : 'one of them is ready'])
        rows.push(['what', 'the event loop is idle: it waits on every socket at once'])
      } else if (phase.on === 'accept' && phase.cause === 'at-cap') {
        what = `holding off accept(): ${atCap(phase.limit)}`
        rows.push(['what', 'the next connections wait in the accept queue until one of its children or threads ends'])
      } else if (phase.on === 'accept') {
        what = 'blocked in accept()'
        rows.push(['what', 'waiting for the next connection'])
      } else {
        const loop = lane.kind === 'loop' || lane.kind === 'server'
        const conn = phase.conn ? label(phase.conn) : null
        what = `blocked in ${phase.on}${conn && loop ? (phase.on === 'send' ? ` to ${conn}` : phase.on === 'recv' ? ` from ${conn}` : ` for ${conn}`) : ''}`
        if (phase.on === 'send') {
          what += `: ${PEER_NOT_READING}`
          rows.push(['why', WHY_SEND_WAITS])
        }
        if (lane.kind === 'loop') rows.push(['stalls', 'every connection: the loop\'s one thread is in this call'])
      }
      break
    default:
      what = phaseName(phase, lane, connLabel)
  }
  const queue = evidence.sendQueue
  if (queue && phase.on === 'send') rows.push(['send queue', `${formatBytes(queue.bytes)} unsent in the kernel (OS sample at ${formatClock(queue.t - origin)})`])
  return { title: `${lane.title} — ${what}`, rows }
}
