import type { BlockEvent, ReapPolicy, SockscopeEvent } from '../../../servers/events.ts'
import { shortCommand } from '../../../servers/os/command.ts'
import { formatDuration } from '../../timeline/time-scale.ts'

/**
 * The captions' rules: one event (and what the recording says about the moment it
 * happened) to one short sentence a learner understands, in the seeds' words (accept
 * queue, fork, zombie, reap, select(), coroutine, dataReceived). One rule per event kind;
 * each also says how much the sentence matters (its priority) and which family of
 * sentences it belongs to, so that a burst of the same thing reads as one ("8 clients
 * connect within 3 ms"). Pure functions: the presenter's schedule (schedule.ts) decides
 * which sentence is on screen when.
 */

/**
 * How much a caption matters, from most to least: a user's note; what the seeds are about
 * (zombies, reaps, errors, a stalled loop, a lock wait, a server at its cap); a step in a
 * connection's life (queued, accepted, forked, a thread started, a wake-up); the ordinary
 * flow (connect, close, a phase); routine ticks (a recv, a send, a wait for bytes); the
 * loop's own idling.
 */
export const PRIORITY = { note: 6, key: 5, step: 4, flow: 3, tick: 2, idle: 1 } as const

export interface CaptionRule {
  text: string
  priority: number
  /** Sentences of one family close together collapse into one (burstText); null: never. */
  family: Family | null
}

export type Family = 'connect' | 'queued' | 'accept' | 'io' | 'close' | 'fork' | 'exit' | 'reap' | 'thread-start' | 'thread-end' | 'task-start' | 'task-end' | 'wakeup'

/** What a rule may ask of the recording about the instant of its event. */
export interface CaptionContext {
  /** `#3`: the connection as the timeline numbers it. */
  label(conn: string): string
  /** The model of a server run (`fork`, `select`, `traced`…), if known. */
  model(run: string): string | undefined
  /** The connections a server run has accepted and not yet closed at t (other than `except`), as labels, in order. */
  serving(run: string, t: number, except?: string): string[]
  /** The policy that will reap this child (its reap event, or the server's spec): null when not known. */
  reapPolicy(childPid: number, run: string): ReapPolicy | null
  /** Whether pid is a server's child process (fork model). */
  isChild(pid: number): boolean
  /** Whether (pid, tid) is an event loop's thread (select, asyncio, reactor). */
  isLoop(pid: number, tid: number): boolean
}

const LOOP_MODELS = new Set(['select', 'asyncio', 'reactor'])

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`
const bytes = (n: number) => plural(n, 'byte')
/** A preview as the seeds print it, cut to what a caption has room for. */
const quoted = (preview: string) => `"${preview.length > 28 ? `${preview.slice(0, 27)}…` : preview}"`
/** `#2 and #5`, `#1, #2 and #4`. */
export const listWords = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`

const connOf = (e: SockscopeEvent): string | undefined => (e as { conn?: string }).conn

/** Who did it, in the words the process table uses: the server, child 12866, thread 3, the loop, client #2. */
export function actor(e: SockscopeEvent, ctx: CaptionContext): string {
  const conn = connOf(e)
  if (e.src.role === 'client') return `client ${conn ? ctx.label(conn) : `pid ${e.src.pid}`}`
  if (e.src.role === 'os') return 'the OS'
  if (ctx.isChild(e.src.pid)) return `child ${e.src.pid}`
  if (ctx.isLoop(e.src.pid, e.src.tid)) return 'the loop'
  if (e.src.tid !== 0) return `thread ${e.src.tid}`
  return ctx.model(e.src.run) === 'traced' ? 'the program' : 'the server'
}

const MODEL_WORDS: Record<string, string> = {
  iterative: 'it serves one client at a time',
  fork: 'a child process per client',
  thread: 'a thread per client',
  socketserver: 'handler classes: setup, handle, finish',
  select: 'one thread, one select() loop for every client',
  asyncio: 'a coroutine per client, on one event loop',
  reactor: 'Protocol callbacks on one reactor loop',
  traced: 'its system calls, as strace sees them',
}

/** The sentence for one event at its own instant, or null: this event is never a caption (a CPU reading). */
export function captionRule(e: SockscopeEvent, ctx: CaptionContext): CaptionRule | null {
  const conn = connOf(e)
  const L = conn ? ctx.label(conn) : ''
  const who = () => actor(e, ctx)
  const model = ctx.model(e.src.run)
  switch (e.kind) {
    case 'listen': {
      const what = e.model === 'traced' ? 'the traced program' : `the ${e.model} server`
      const words = MODEL_WORDS[e.model]
      return { text: `${what} listens on ${e.host}:${e.port} (${e.app})${words ? `: ${words}` : ''}`, priority: PRIORITY.step, family: null }
    }
    case 'connect':
      return { text: `client ${L} connects`, priority: PRIORITY.flow, family: 'connect' }
    case 'queued': {
      const busy = ctx.serving(e.src.run, e.t, conn)
      if (model === 'iterative' && busy.length)
        return { text: `client ${L} connects, and waits in the accept queue: the server is still busy with ${listWords(busy)}`, priority: PRIORITY.step, family: 'queued' }
      if (e.depth > 1) return { text: `client ${L} waits in the accept queue, ${e.depth} waiting`, priority: PRIORITY.step, family: 'queued' }
      return { text: `client ${L} connects, and waits in the accept queue until the server calls accept()`, priority: PRIORITY.flow, family: 'queued' }
    }
    case 'accept': {
      const waited = e.waitedUs >= 1000
      const turn = model === 'iterative' && waited ? ': its turn has come' : ''
      return {
        text: `${who()} accepts ${L}${waited ? `, after ${formatDuration(e.waitedUs)} in the accept queue` : ''}${turn}`,
        priority: waited ? PRIORITY.step : PRIORITY.flow,
        family: 'accept',
      }
    }
    case 'recv':
      return {
        text: e.src.role === 'client' ? `client ${L} gets the reply, ${bytes(e.bytes)}: ${quoted(e.preview)}` : `${who()} reads ${bytes(e.bytes)} from ${L}: ${quoted(e.preview)}`,
        priority: PRIORITY.tick,
        family: 'io',
      }
    case 'send':
      return {
        text: e.src.role === 'client' ? `client ${L} sends ${bytes(e.bytes)}: ${quoted(e.preview)}` : `${who()} sends ${L} ${bytes(e.bytes)}: ${quoted(e.preview)}`,
        priority: PRIORITY.tick,
        family: 'io',
      }
    case 'close': {
      if (e.reset === 'sent') return { text: `${who()} resets ${L} (RST, not FIN): the peer's next read or write fails`, priority: PRIORITY.key, family: null }
      if (e.reset === 'received') return { text: `${L} is reset by the peer (RST): ${who()} gets ECONNRESET`, priority: PRIORITY.key, family: null }
      if (e.src.role === 'client') return { text: e.by === 'local' ? `client ${L} is done, and closes` : `client ${L} sees the server close`, priority: PRIORITY.flow, family: 'close' }
      if (e.by === 'error') return { text: `${who()} closes ${L} after an error`, priority: PRIORITY.flow, family: 'close' }
      const how = e.by === 'peer' ? `${L} has closed: ${who()} reads EOF, and closes its end` : `${who()} closes ${L}`
      const next = model === 'iterative' ? '; back to accept() for the next in line' : ''
      return { text: how + next, priority: model === 'iterative' ? PRIORITY.step : PRIORITY.flow, family: 'close' }
    }
    case 'fork': {
      const spare = e.spare && typeof e.spare === 'object'
      return {
        text: spare ? `the server hands ${L} to child ${e.childPid}, forked ahead of time` : `the server forks child ${e.childPid} to serve ${L}, and goes straight back to accept()`,
        priority: PRIORITY.step,
        family: 'fork',
      }
    }
    case 'exit': {
      const how = e.signal ? `was killed by ${e.signal}` : e.code ? `has exited with code ${e.code}` : 'has exited'
      return { text: `child ${e.childPid} ${how}; ${afterExit(ctx.reapPolicy(e.childPid, e.src.run))}`, priority: PRIORITY.key, family: 'exit' }
    }
    case 'reap': {
      const modelled = e.modelled ? ' (modelled: Node reaps at once)' : ''
      const zombie = e.zombieUs > 0 ? `, a zombie for ${formatDuration(e.zombieUs)}` : ''
      const text =
        e.trigger === 'accept'
          ? `the server's next accept reaps child ${e.childPid}${zombie}`
          : e.trigger === 'server-exit'
            ? `the server exits: init adopts child ${e.childPid} and reaps it${zombie}`
            : `child ${e.childPid} is reaped as it exits: no zombie`
      return { text: text + modelled, priority: PRIORITY.key, family: 'reap' }
    }
    case 'thread-start':
      return { text: `thread ${e.threadId} starts to serve ${L}; the main thread goes back to accept()`, priority: PRIORITY.step, family: 'thread-start' }
    case 'thread-end':
      return { text: `thread ${e.threadId} ends: ${L} is served`, priority: PRIORITY.flow, family: 'thread-end' }
    case 'task-start':
      return { text: `a coroutine starts for ${L} (${e.task}) on the loop`, priority: PRIORITY.step, family: 'task-start' }
    case 'task-end':
      return { text: `${L}'s coroutine returns (${e.task})`, priority: PRIORITY.flow, family: 'task-end' }
    case 'wakeup':
      return wakeup(e.readable, e.writable, e.waitedUs, ctx)
    case 'block':
      return block(e, ctx, who(), L, model)
    case 'unblock':
      if (e.on === 'select') return null
      return { text: `${who()} ${e.waiter === 'task' ? 'goes on' : 'resumes'} after ${formatDuration(e.blockedUs)} in ${e.on}${L ? ` (${L})` : ''}`, priority: e.blockedUs >= 100_000 ? PRIORITY.tick : PRIORITY.idle, family: null }
    case 'lock-wait':
      return { text: `${who()}${L ? ` (${L})` : ''} waits for the lock ${e.lock}: another holds it${e.waiter === 'task' ? '; the loop goes on' : ''}`, priority: PRIORITY.key, family: null }
    case 'lock-acquire':
      return e.waitedUs >= 1000
        ? { text: `${who()}${L ? ` (${L})` : ''} gets the lock ${e.lock} after waiting ${formatDuration(e.waitedUs)}`, priority: PRIORITY.step, family: null }
        : { text: `${who()}${L ? ` (${L})` : ''} takes the lock ${e.lock}`, priority: PRIORITY.tick, family: null }
    case 'lock-release':
      return { text: `${who()}${L ? ` (${L})` : ''} releases the lock ${e.lock}`, priority: PRIORITY.tick, family: null }
    case 'phase':
      return phase(e.phase, e.edge, L, model)
    case 'state': {
      if (e.access === 'read') return { text: `${L || who()} reads ${e.key} = ${e.value}`, priority: PRIORITY.tick, family: null }
      if (e.memory === 'copy') return { text: `${L || who()} writes ${e.key} = ${e.value} in its child's own copy: no other client sees it`, priority: PRIORITY.step, family: null }
      const memory = e.memory === 'shared' ? 'memory every thread shares' : "the process's memory"
      return { text: `${L || who()} writes ${e.key} = ${e.value}, in ${memory}`, priority: PRIORITY.flow, family: null }
    }
    case 'error':
      return { text: `error${L ? ` on ${L}` : ''}: ${e.code}, ${e.message}`, priority: PRIORITY.key, family: null }
    case 'proc':
      return proc(e.change, e.pid, e.state, e.command, ctx.isChild(e.pid))
    case 'sockets': {
      const waiting = (e.sockets ?? []).reduce((n, s) => n + (s.state === 'LISTEN' ? (s.acceptQueue ?? 0) : 0), 0)
      return waiting > 0 ? { text: `the kernel holds ${plural(waiting, 'connection')} in pid ${e.pid}'s accept queue`, priority: PRIORITY.flow, family: null } : null
    }
    default:
      return null
  }
}

/** What becomes of a child once it exited: the seed's zombie, as the server's reap policy leaves it. */
export function afterExit(policy: ReapPolicy | null): string {
  switch (policy) {
    case 'on-accept':
      return "it stays a zombie until the server's next accept reaps it"
    case 'never':
      return 'it stays a zombie: this server never reaps its children'
    case 'immediate':
      return 'reaped at once (SIGCHLD ignored): no zombie'
    default:
      return 'it is a zombie until its parent reaps it'
  }
}

/** A ready set's names in a learner's words: `listen:5000` is a new connection waiting on that port. */
function readyWords(names: readonly string[], ctx: CaptionContext): string[] {
  return names.map((n) => (n.startsWith('listen:') ? `a new connection on :${n.slice(7)}` : ctx.label(n)))
}

function wakeup(readable: readonly string[], writable: readonly string[], waitedUs: number, ctx: CaptionContext): CaptionRule {
  if (readable.length === 0 && writable.length === 0) return { text: `the loop wakes up after ${formatDuration(waitedUs)}: a timer is due`, priority: PRIORITY.tick, family: 'wakeup' }
  const parts: string[] = []
  const r = readyWords(readable, ctx)
  const conns = r.filter((w) => !w.startsWith('a new'))
  const fresh = r.filter((w) => w.startsWith('a new'))
  if (fresh.length) parts.push(listWords(fresh))
  if (conns.length) parts.push(`${listWords(conns)} ${conns.length === 1 ? 'is' : 'are'} readable`)
  if (writable.length) parts.push(`${listWords(readyWords(writable, ctx))} ${writable.length === 1 ? 'is' : 'are'} writable`)
  return { text: `the loop wakes up: ${listWords(parts)}`, priority: PRIORITY.flow, family: 'wakeup' }
}

function block(e: BlockEvent, ctx: CaptionContext, who: string, L: string, model: string | undefined): CaptionRule | null {
  if (e.on === 'select') return { text: `the loop waits in select() on ${e.sockets === undefined ? 'its sockets' : plural(e.sockets, 'socket')}`, priority: PRIORITY.idle, family: null }
  if (e.on === 'accept' && e.cause === 'at-cap')
    return { text: `the server holds off accept(): it serves ${e.limit ?? 'its most'} connections at once, its cap; new clients wait in the queue`, priority: PRIORITY.key, family: null }
  if (e.on === 'accept') return { text: `${who} waits in accept() for the next client`, priority: PRIORITY.tick, family: null }
  if (e.on === 'lock') return null
  const loopThread = ctx.isLoop(e.src.pid, e.src.tid) || (e.src.tid === 0 && model !== undefined && LOOP_MODELS.has(model) && e.waiter !== 'task')
  if (loopThread && e.waiter !== 'task')
    return { text: `the loop's one thread is stuck in ${e.on}${L ? ` for ${L}` : ''}: every other client waits`, priority: PRIORITY.key, family: null }
  if (e.waiter === 'task') {
    const what = e.on === 'recv' ? 'waits for bytes' : e.on === 'send' ? 'waits for room to send' : e.on === 'sleep' ? 'sleeps' : `waits on ${e.on}`
    const who = model === 'asyncio' ? `${L}'s coroutine` : L
    return { text: `${who} ${model === 'asyncio' ? `awaits ${e.on}` : what}; the loop serves the others`, priority: PRIORITY.tick, family: null }
  }
  if (e.on === 'send') return { text: `${who} is blocked sending to ${L}: the client is not reading`, priority: PRIORITY.step, family: null }
  if (e.on === 'sleep') return { text: `${who} sleeps while it serves ${L}${model === 'iterative' ? ': nobody else is served meanwhile' : ''}`, priority: model === 'iterative' ? PRIORITY.step : PRIORITY.flow, family: null }
  return { text: `${who} waits for ${L} to send`, priority: PRIORITY.tick, family: null }
}

const REACTOR_CALLBACKS = new Set(['buildProtocol', 'connectionMade', 'dataReceived', 'readConnectionLost', 'connectionLost', 'resumeProducing', 'callLater'])

function phase(name: string, edge: 'begin' | 'end', L: string, model: string | undefined): CaptionRule {
  if (model === 'reactor' || REACTOR_CALLBACKS.has(name))
    return edge === 'begin'
      ? { text: `the reactor calls ${name}() for ${L}`, priority: PRIORITY.flow, family: null }
      : { text: `${name}() returns to the reactor (${L})`, priority: PRIORITY.idle, family: null }
  return edge === 'begin'
    ? { text: `${L}'s handler: ${name}() begins`, priority: PRIORITY.flow, family: null }
    : { text: `${L}'s handler: ${name}() is done`, priority: PRIORITY.idle, family: null }
}

const STATE_WORDS: Record<string, string> = { R: 'running', S: 'sleeping', D: 'in an uninterruptible wait', T: 'stopped', Z: 'a zombie' }

/**
 * The OS's readings. Of a server's own child (`modelChild`), the kernel's zombie confirms
 * what the child's exit event says: the exit's sentence leads (the sampler may see the Z a
 * moment before the exit event is in), and the OS's follows when nothing more is held.
 */
function proc(change: string, pid: number, state: string, command: string, modelChild: boolean): CaptionRule | null {
  const zombie = modelChild ? PRIORITY.step : PRIORITY.key
  switch (change) {
    case 'appeared':
      return state === 'Z'
        ? { text: `the OS lists pid ${pid} as a zombie (state Z): its parent has not reaped it`, priority: zombie, family: null }
        : { text: `the OS lists a new process, pid ${pid}: ${shortCommand(command, 40)}`, priority: PRIORITY.flow, family: null }
    case 'changed':
      if (state === 'Z') return { text: `the OS lists pid ${pid} as a zombie (state Z): it has exited, and its parent has not reaped it`, priority: zombie, family: null }
      return { text: `the OS: pid ${pid} is ${STATE_WORDS[state] ?? `in state ${state}`}`, priority: PRIORITY.idle, family: null }
    case 'gone':
      // A gone reading repeats the last state the sampler saw: Z, a zombie until then.
      return state === 'Z'
        ? { text: `pid ${pid} is reaped: the zombie leaves the OS's process table`, priority: PRIORITY.key, family: null }
        : { text: `pid ${pid} is gone from the OS's process table`, priority: PRIORITY.flow, family: null }
    default:
      return null
  }
}

/**
 * A burst of one family as one sentence: `first` is the first event's sentence (what one
 * alone says), n how many, spanUs from the first to the last, `last` the latest event.
 */
export function burstText(family: Family, n: number, spanUs: number, first: string, last: SockscopeEvent, ctx: CaptionContext): string {
  if (n <= 1) return first
  const within = `within ${formatDuration(Math.max(1, spanUs))}`
  switch (family) {
    case 'connect':
      return `${n} clients connect ${within}`
    case 'queued': {
      const busy = ctx.model(last.src.run) === 'iterative' ? ctx.serving(last.src.run, last.t, connOf(last)) : []
      return `${n} clients connect ${within}, and wait in the accept queue${busy.length ? `: the server is still busy with ${listWords(busy)}` : ''}`
    }
    case 'accept':
      return `the server accepts ${n} clients ${within}`
    case 'io':
      return `${n} reads and writes ${within}`
    case 'close':
      return `${n} connections close ${within}`
    case 'fork':
      return `the server forks ${n} children ${within}, one per client`
    case 'exit': {
      const policy = last.kind === 'exit' ? ctx.reapPolicy(last.childPid, last.src.run) : null
      return `${n} children exit ${within}; ${afterExit(policy).replace(/^it stays/, 'each stays').replace(/^it is/, 'each is')}`
    }
    case 'reap':
      return `${n} zombies are reaped ${within}`
    case 'thread-start':
      return `${n} threads start ${within}, one per client`
    case 'thread-end':
      return `${n} threads end ${within}`
    case 'task-start':
      return `${n} coroutines start ${within}, one per client`
    case 'task-end':
      return `${n} coroutines return ${within}`
    case 'wakeup':
      return `the loop wakes up ${n} times ${within}, and serves what is ready each time`
  }
}
