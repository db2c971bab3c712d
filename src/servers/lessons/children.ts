import type { SockscopeEvent } from '../events.ts'
import type { LessonView } from './lesson.ts'
import { kind, ofRun, procsOf } from './measure.ts'

/** Every child the fork server forked for a connection has exited (a scenario's `until`). */
export function childrenExited(server: string, count: number) {
  return ({ events, runs }: LessonView) => kind(ofRun(events, runs.servers[server]), 'exit').length >= count
}

/** The children a fork server forked, and what the OS sampler saw of each (its state letters). */
export function childrenSeen(events: readonly SockscopeEvent[], serverRun: string | undefined) {
  const forked = kind(ofRun(events, serverRun), 'fork').map((e) => e.childPid)
  const states = new Map<number, Set<string>>(forked.map((pid) => [pid, new Set()]))
  for (const p of procsOf(events, serverRun)) if (p.change !== 'gone') states.get(p.pid)?.add(p.state)
  return { forked, states }
}
