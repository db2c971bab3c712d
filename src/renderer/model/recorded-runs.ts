import type { RunInfo } from '../../servers/web/protocol.ts'
import type { ProcessTrack } from './derive.ts'
import type { TraceModel } from './trace-model.ts'

/**
 * The runs of a recording, as the lab lists its own (RunInfo), so that what draws lab
 * runs (the timeline's lanes, the process table) draws a recording that has none: each
 * server from its listen events, each client workload from its client-side process. A
 * recorded run is over: a server was `stopped`, a workload `finished`. Its times are its
 * first and last event (the OS sampler's readings of its processes included); `endT` (the recording's last event) stands in for a run whose
 * processes left no event to date it.
 */
export function recordedRuns(model: TraceModel, endT: number): RunInfo[] {
  const processes = model.processes()
  const connections = model.connections()
  const span = (run: string, pids: ReadonlySet<number>) => {
    let start = Number.POSITIVE_INFINITY
    let end = Number.NEGATIVE_INFINITY
    for (const p of processes) {
      // A run's events are its processes' (each event goes to its own pid's track), the
      // server's children's included.
      if (p.run !== run && !pids.has(p.pid)) continue
      start = Math.min(start, firstT(p))
      end = Math.max(end, p.lastT)
    }
    // The OS sampler's readings of the run's tree: processes the run's own events may not name (a wrapper, a grandchild).
    for (const p of model.os.ofRun(run)) {
      start = Math.min(start, p.firstT)
      end = Math.max(end, p.latest.t)
    }
    return { startedAt: Number.isFinite(start) ? start : endT, endedAt: Number.isFinite(end) ? end : endT }
  }

  const runs: RunInfo[] = []
  for (const server of model.servers()) {
    const { startedAt, endedAt } = span(server.run, new Set([server.pid]))
    runs.push({
      id: server.run,
      kind: 'server',
      pid: server.pid,
      state: 'stopped',
      spec: { model: server.model, app: server.app, port: server.ports[0] ?? 0 },
      host: server.host,
      ports: [...server.ports],
      startedAt: Math.min(startedAt, server.listenT),
      endedAt,
    })
  }
  const clientRuns = new Map<string, ProcessTrack>()
  for (const p of processes) if (p.role === 'client' && p.run !== null && !clientRuns.has(p.run)) clientRuns.set(p.run, p)
  for (const [run, proc] of clientRuns) {
    const made = connections.filter((c) => c.clientRun === run)
    const { startedAt, endedAt } = span(run, new Set([proc.pid]))
    runs.push({
      id: run,
      kind: 'clients',
      pid: proc.pid,
      state: 'finished',
      spec: { workload: '', count: made.length, port: made[0]?.serverPort ?? 0 },
      startedAt,
      endedAt,
    })
  }
  return runs.sort((a, b) => a.startedAt - b.startedAt)
}

const firstT = (p: ProcessTrack) => Math.min(p.startT ?? p.lastT, p.firstOwnT ?? p.lastT)
