import { shortCommand } from '../../servers/os/command.ts'
import type { ListeningProcessInfo, RunInfo } from '../../servers/web/protocol.ts'
import { portOf, reachableHost } from './os-view.ts'

/**
 * Observing processes Sockscope did not start: the PID field, the list of listening
 * processes to pick from, and the targets a client workload can aim at.
 */

export type PidParse = { ok: true; pid: number } | { ok: false; error: string }

/** The PID field: a positive whole number (empty is "not yet", not an error). */
export function parsePid(text: string): PidParse {
  const t = text.trim()
  if (t === '') return { ok: false, error: '' }
  if (!/^\d+$/.test(t)) return { ok: false, error: 'a PID is a whole number, as ps prints it' }
  const pid = Number(t)
  if (!Number.isSafeInteger(pid) || pid < 1) return { ok: false, error: 'a PID is 1 or more' }
  return { ok: true, pid }
}

const isLive = (r: RunInfo) => r.state === 'starting' || r.state === 'running' || r.state === 'stopping'

/** The live run that observes `pid`, if any. */
export function observedBy(runs: readonly RunInfo[], pid: number): RunInfo | null {
  return runs.find((r) => r.kind === 'observed' && r.pid === pid && isLive(r)) ?? null
}

export interface ListeningRow {
  pid: number
  ppid: number
  command: string
  /** `127.0.0.1:8080`, … in port order. */
  addresses: string[]
  ports: number[]
  /** Connections waiting for accept(), over its listening sockets. */
  acceptQueue: number
  /** Sockscope's own: the lab host, or a server it started (run id). Not worth observing. */
  own: string | null
  /** Already observed, by this run. */
  observedBy: string | null
}

/**
 * The picker's rows: other programs first (they are what one observes), then Sockscope's
 * own processes, marked; within each, by port.
 */
export function listeningRows(list: readonly ListeningProcessInfo[], runs: readonly RunInfo[], labPid: number | null): ListeningRow[] {
  const rows = list.map((p): ListeningRow => {
    const sockets = [...p.listening].sort((a, b) => (portOf(a.local) ?? 0) - (portOf(b.local) ?? 0))
    const ports = [...new Set(sockets.map((s) => portOf(s.local)).filter((n): n is number => n !== null))]
    const server = runs.find((r) => r.kind === 'server' && r.pid === p.pid && isLive(r))
    const observer = observedBy(runs, p.pid)
    return {
      pid: p.pid,
      ppid: p.ppid,
      command: p.command,
      addresses: [...new Set(sockets.map((s) => s.local))],
      ports,
      acceptQueue: sockets.reduce((n, s) => n + (s.acceptQueue ?? 0), 0),
      own: p.pid === labPid ? 'the lab' : server ? server.id : null,
      observedBy: observer?.id ?? null,
    }
  })
  const firstPort = (r: ListeningRow) => r.ports[0] ?? 0
  return rows.sort((a, b) => Number(a.own !== null) - Number(b.own !== null) || firstPort(a) - firstPort(b) || a.pid - b.pid)
}

/** Something a client workload can connect to: one port of a server (a server on two ports is two targets). */
export interface ClientTarget {
  /** Unique among the targets: the run's id for its first port, `run:port` for the others. */
  id: string
  /** The run's id: a server the lab started, or an observed process. */
  run: string
  kind: 'server' | 'observed'
  host: string
  port: number
  label: string
}

/**
 * The servers the lab runs, then the observed processes that listen (their ports from the
 * OS's socket tables), so clients can be aimed at a server Sockscope did not start. Each
 * listening port is its own target: seed 003's select server serves two.
 */
export function clientTargets(liveServers: readonly RunInfo[], observed: readonly { run: RunInfo; ports: readonly { host: string; port: number }[] }[]): ClientTarget[] {
  const targets: ClientTarget[] = []
  const ofPorts = (run: RunInfo, kind: ClientTarget['kind'], what: string, ports: readonly { host: string; port: number }[]) =>
    ports.forEach(({ host, port }, i) => {
      const which = ports.length > 1 ? ` (port ${i + 1} of ${ports.length})` : ''
      targets.push({ id: i === 0 ? run.id : `${run.id}:${port}`, run: run.id, kind, host, port, label: `${run.id} · ${what} · :${port}${which}` })
    })
  for (const s of liveServers) {
    const host = reachableHost(s.host ?? '127.0.0.1')
    ofPorts(s, 'server', String(s.spec.model), (s.ports ?? []).map((port) => ({ host, port })))
  }
  for (const { run, ports } of observed) {
    if (run.state !== 'running') continue
    ofPorts(run, 'observed', `observed · ${shortCommand(String(run.spec.command ?? ''), 48)}`, ports)
  }
  return targets
}
