import type { ReapPolicy } from '../../../servers/events.ts'
import type { RunInfo } from '../../../servers/web/protocol.ts'
import type { ConnectionTrack } from '../derive.ts'
import type { TraceModel } from '../trace-model.ts'
import type { CaptionContext } from './rules.ts'

const REAP_POLICIES: readonly string[] = ['immediate', 'on-accept', 'never']

/** How far back `serving` looks among a run's accepted connections: a server serving more at once is said to serve "these and more". */
const SERVING_LOOKBACK = 64

/**
 * What the caption rules ask, answered from the recording's tracks (the trace model) and
 * the timeline's numbering of connections. Built once per version of the recording; the
 * tracks it reads are the whole recording's, so "the server is still busy with #1" is
 * asked of #1's accept and close times, not of a copy kept per instant.
 */
export function modelCaptionContext(model: TraceModel, connIndex: ReadonlyMap<string, number>, runs: readonly RunInfo[] = []): CaptionContext {
  const servers = new Map(model.servers().map((s) => [s.run, s]))
  const specs = new Map(runs.map((r) => [r.id, r.spec]))
  const processes = new Map(model.processes().map((p) => [p.pid, p]))
  const loops = new Set(model.loops().map((l) => `${l.pid}:${l.tid}`))
  // Each server's accepted connections, by accept time: who it serves at an instant is a short look back.
  const accepted = new Map<string, ConnectionTrack[]>()
  for (const c of model.connections()) {
    if (c.serverRun === null || c.acceptT === null) continue
    let list = accepted.get(c.serverRun)
    if (!list) accepted.set(c.serverRun, (list = []))
    list.push(c)
  }
  for (const list of accepted.values()) list.sort((a, b) => a.acceptT! - b.acceptT!)
  const label = (conn: string) => {
    const n = connIndex.get(conn)
    if (n) return `#${n}`
    const port = /^(\d+)>/.exec(conn)?.[1]
    return port ? `:${port}` : conn
  }
  return {
    label,
    model: (run) => servers.get(run)?.model ?? (typeof specs.get(run)?.model === 'string' ? String(specs.get(run)!.model) : undefined),
    serving(run, t, except) {
      const list = accepted.get(run) ?? []
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (list[mid]!.acceptT! <= t) lo = mid + 1
        else hi = mid
      }
      const out: string[] = []
      for (let i = lo - 1; i >= 0 && i >= lo - SERVING_LOOKBACK; i--) {
        const c = list[i]!
        if (c.conn === except) continue
        const closed = c.serverCloseT !== null && c.serverCloseT <= t
        if (!closed) out.unshift(label(c.conn))
      }
      return out
    },
    reapPolicy(childPid, run) {
      const policy = processes.get(childPid)?.reapPolicy ?? specs.get(run)?.reap
      return typeof policy === 'string' && REAP_POLICIES.includes(policy) ? (policy as ReapPolicy) : null
    },
    isChild: (pid) => processes.get(pid)?.role === 'child',
    isLoop: (pid, tid) => loops.has(`${pid}:${tid}`),
  }
}
