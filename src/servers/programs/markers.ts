import type { BlockReason, SockscopeEvent } from '../events.ts'
import type { ControlStyle, Program } from './program.ts'

/** An event with its sequence number in whatever holds it (the renderer's store, a trace's line). */
export interface SeqEvent {
  seq: number
  e: SockscopeEvent
}

export type MarkerState = 'running' | 'blocked' | 'zombie'

/** Where one thread of control (process, thread, event loop, task) is, at an instant. */
export interface CodeMarker {
  /** The timeline lane that draws it: `server:RUN`, `proc:PID`, `thread:PID:TID`, `loop:RUN:PID:TID`, `conn:CONN`. */
  laneKey: string
  kind: 'process' | 'thread' | 'loop' | 'task'
  /** `pid 4242`, `thread 3`, `event loop`, `task #2`. */
  label: string
  run: string
  pid: number
  tid: number
  conn: string | null
  /** 1-based program line; null: it waits in something this program does not show (a sleep the seed has not). */
  line: number | null
  /** The call there, as the lineMap says (`recv()`), or the wait's own name where the line is null. */
  call: string
  state: MarkerState
  /** What it waits on, while blocked (the timeline colours its lane by it). */
  on: BlockReason | null
  /** The event that put it there. */
  seq: number
  since: number
}

type Control = CodeMarker

/**
 * The lineMap keys an event is looked up by, most specific first (see LineMap in
 * program.ts). An unblock is the block's call returning: it stays on that line.
 */
export function lineKeys(e: SockscopeEvent): string[] {
  switch (e.kind) {
    case 'block':
    case 'unblock':
      return [`block:${e.on}`]
    case 'lock-wait':
      return ['lock-wait', 'block:lock']
    case 'lock-acquire':
      return ['lock-acquire', 'lock-wait', 'block:lock']
    case 'wakeup':
      return ['wakeup', 'block:select']
    case 'phase':
      return [`phase:${e.phase}`]
    case 'state':
      return [`state:${e.access}`, 'state']
    default:
      return [e.kind]
  }
}

/** Kinds that are no thread of control's doing: the kernel's queue, the OS's view. */
const NOT_CONTROL = new Set<SockscopeEvent['kind']>(['queued', 'connect', 'proc', 'sockets'])

interface Replay {
  controls: Map<string, Control>
  /** Each connection's number within its server (arrival order), for task labels. */
  connIndex: Map<string, number>
  serverPid: Map<string, number>
}

/**
 * Replays the server side's events in time order through the program's lineMap; `visit`
 * sees each event with the line it put its thread of control on (null: none).
 */
function replay(program: Program, events: readonly SeqEvent[], upTo: number, visit?: (item: SeqEvent, line: number | null, laneKey: string | null) => void): Replay {
  const state: Replay = { controls: new Map(), connIndex: new Map(), serverPid: new Map() }
  const { controls, connIndex, serverPid } = state
  /** The model each server run says it is (its listen event): a program may read differently per model (c10k). */
  const runModel = new Map<string, string>()
  const controlOf = (run: string): ControlStyle => program.controlByModel?.[runModel.get(run) ?? ''] ?? program.control

  const target = (run: string, keys: readonly string[]): { line: number; call: string } | undefined => {
    const model = runModel.get(run)
    for (const key of keys) {
      for (const k of model ? [`${model}/${key}`, key] : [key]) {
        const line = program.lineOf.get(k)
        if (line !== undefined) return { line, call: program.lineMap[k]!.call }
      }
    }
    return undefined
  }
  const place = (c: Control, e: SockscopeEvent, seq: number, keys: readonly string[], st: MarkerState) => {
    const found = target(c.run, keys)
    if (found) {
      c.line = found.line
      c.call = found.call
    } else if (st === 'blocked') {
      // Waiting in a call this program does not have: say so, not a line it is not on.
      c.line = null
      c.call = e.kind === 'block' ? `${e.on} (not in this code)` : 'waiting (not in this code)'
    }
    c.state = st
    c.on = st !== 'blocked' ? null : e.kind === 'block' ? e.on : 'lock'
    c.seq = seq
    c.since = e.t
  }
  const open = (id: string, m: Omit<Control, 'line' | 'call' | 'state' | 'on' | 'seq' | 'since'>, e: SockscopeEvent, seq: number, keys: readonly string[]) => {
    const c: Control = { ...m, line: null, call: '', state: 'running', on: null, seq, since: e.t }
    place(c, e, seq, keys, 'running')
    controls.set(id, c)
    return c
  }
  const mainControl = (run: string, pid: number, tid: number, e: SockscopeEvent, seq: number): Control => {
    const id = `${run}:${pid}:${tid}`
    const found = controls.get(id)
    if (found) return found
    const isServer = serverPid.get(run) === pid
    if (!isServer) return open(id, { laneKey: `proc:${pid}`, kind: 'process', label: `pid ${pid}`, run, pid, tid, conn: null }, e, seq, [])
    if (tid !== 0) return open(id, { laneKey: `thread:${pid}:${tid}`, kind: 'thread', label: `thread ${tid}`, run, pid, tid, conn: null }, e, seq, [])
    if (controlOf(run) !== 'process') return open(id, { laneKey: `loop:${run}:${pid}:${tid}`, kind: 'loop', label: 'event loop', run, pid, tid, conn: null }, e, seq, [])
    return open(id, { laneKey: `server:${run}`, kind: 'process', label: `pid ${pid}`, run, pid, tid, conn: null }, e, seq, [])
  }

  for (const item of events) {
    const { e, seq } = item
    if (e.t > upTo) break
    if (e.src.role !== 'server') continue
    const { run, pid, tid } = e.src
    const conn = 'conn' in e && typeof e.conn === 'string' ? e.conn : null
    // Numbered as the timeline numbers them: in the order the server first saw them.
    if (conn && !connIndex.has(conn)) connIndex.set(conn, connIndex.size + 1)
    if (NOT_CONTROL.has(e.kind)) continue
    if (e.kind === 'listen') {
      if (!serverPid.has(run)) serverPid.set(run, pid)
      if (!runModel.has(run)) runModel.set(run, e.model)
      const c = mainControl(run, pid, tid, e, seq)
      place(c, e, seq, ['listen'], 'running')
      visit?.(item, c.line, c.laneKey)
      continue
    }
    if (!serverPid.has(run)) serverPid.set(run, pid)

    // asyncio: what a connection's events say is its task's doing; the loop's are its own.
    const isTaskEvent = controlOf(run) === 'tasks' && conn !== null && e.kind !== 'accept'
    if (isTaskEvent) {
      const id = `task:${run}:${conn}`
      if (e.kind === 'task-end') {
        const c = controls.get(id)
        if (c) place(c, e, seq, ['task-end'], 'running')
        visit?.(item, c?.line ?? null, c?.laneKey ?? null)
        controls.delete(id)
        continue
      }
      const c =
        controls.get(id) ??
        open(id, { laneKey: `conn:${conn}`, kind: 'task', label: `task #${connIndex.get(conn)}`, run, pid, tid, conn }, e, seq, ['task-start'])
      const blocked = e.kind === 'block' || e.kind === 'lock-wait'
      place(c, e, seq, lineKeys(e), blocked ? 'blocked' : 'running')
      visit?.(item, c.line, c.laneKey)
      continue
    }
    // A loop's parked connection (a handler waiting for its socket): the loop goes on.
    if (controlOf(run) === 'loop' && (e.kind === 'block' || e.kind === 'unblock' || e.kind === 'lock-wait') && e.waiter === 'task') {
      visit?.(item, null, null)
      continue
    }

    switch (e.kind) {
      case 'fork': {
        const parent = mainControl(run, pid, tid, e, seq)
        place(parent, e, seq, ['fork'], 'running')
        visit?.(item, parent.line, parent.laneKey)
        open(`${run}:${e.childPid}:0`, { laneKey: `proc:${e.childPid}`, kind: 'process', label: `pid ${e.childPid}`, run, pid: e.childPid, tid: 0, conn }, e, seq, ['child'])
        continue
      }
      case 'exit': {
        // Seen by the parent: the child is gone, a zombie at its exit until reaped.
        const child = controls.get(`${run}:${e.childPid}:0`)
        if (child) place(child, e, seq, ['exit'], 'zombie')
        visit?.(item, child?.line ?? null, child?.laneKey ?? null)
        continue
      }
      case 'reap': {
        controls.delete(`${run}:${e.childPid}:0`)
        const parent = controls.get(`${run}:${pid}:${tid}`)
        // Reaped by the parent's own call (before its next fork), or by the kernel / init: no line of the parent's then.
        if (parent && e.trigger === 'accept') place(parent, e, seq, ['reap'], 'running')
        visit?.(item, parent && e.trigger === 'accept' ? parent.line : null, parent?.laneKey ?? null)
        continue
      }
      case 'thread-end': {
        const c = controls.get(`${run}:${pid}:${tid}`)
        if (c) place(c, e, seq, ['thread-end'], 'running')
        visit?.(item, c?.line ?? null, c?.laneKey ?? null)
        controls.delete(`${run}:${pid}:${tid}`)
        continue
      }
      default: {
        const c = mainControl(run, pid, tid, e, seq)
        if (e.kind === 'thread-start') c.conn = e.conn
        const blocked = e.kind === 'block' || e.kind === 'lock-wait'
        place(c, e, seq, lineKeys(e), blocked ? 'blocked' : 'running')
        visit?.(item, c.line, c.laneKey)
      }
    }
  }
  return state
}

/**
 * One marker per process, thread, event loop or task alive at `atUs` (events at or before
 * it count), with the line it is on: a pure function of the events before the instant.
 * `events` must be in time order. Zombies are listed (at their exit line) until reaped.
 */
export function markersAt(program: Program, events: readonly SeqEvent[], atUs: number): CodeMarker[] {
  const { controls } = replay(program, events, atUs)
  return [...controls.values()].map((c) => ({ ...c }))
}

/** One event a line produced: when, and the timeline lane that shows it (its connection's, else its thread of control's). */
export interface LineHit {
  seq: number
  t: number
  kind: SockscopeEvent['kind']
  laneKey: string
}

/** The events that put a thread of control on `line`: what that line produced, in time order. */
export function lineHits(program: Program, events: readonly SeqEvent[], line: number): LineHit[] {
  const hits: LineHit[] = []
  replay(program, events, Number.POSITIVE_INFINITY, (item, at, laneKey) => {
    if (at !== line) return
    const conn = 'conn' in item.e && typeof item.e.conn === 'string' ? item.e.conn : null
    hits.push({ seq: item.seq, t: item.e.t, kind: item.e.kind, laneKey: conn ? `conn:${conn}` : (laneKey ?? '') })
  })
  return hits
}

/** The seqs of the events `line` produced (see lineHits). */
export function eventsForLine(program: Program, events: readonly SeqEvent[], line: number): number[] {
  return lineHits(program, events, line).map((h) => h.seq)
}
