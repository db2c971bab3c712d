import type { ConnectionTrack, ProcessTrack, ServerInfo, ThreadTrack } from '../../renderer/model/derive.ts'
import { EventStore } from '../../renderer/model/event-store.ts'
import { TraceModel } from '../../renderer/model/trace-model.ts'
import { layoutLanes } from '../../renderer/timeline/layout.ts'
import type { SockscopeEvent } from '../events.ts'
import type { Recording } from './recording.ts'

/**
 * A recording seen as the screen sees it: the same TraceModel routes its events into
 * tracks and the same pure derive functions (renderer/model/derive.ts) make each
 * connection's phases, each process's life and each thread's; the timeline's own layout
 * numbers the connections (#1, #2 … within their server). An export only writes these
 * down, so that it shows what the screen shows.
 */
export interface ExportModel {
  recording: Recording
  store: EventStore
  connections: ConnectionTrack[]
  processes: ProcessTrack[]
  threads: ThreadTrack[]
  servers: ServerInfo[]
  /** Connection key → its number within its server, as the timeline labels it. */
  connIndex: Map<string, number>
  /** Client workloads, by run: their driver process and how many connections they made. */
  clients: Map<string, { run: string; pid: number; connections: number; firstT: number }>
  /** The recording's last event: where a phase still open when it ends is cut. */
  endT: number
  /** The event a derived phase or mark names by its seq. */
  event(seq: number): SockscopeEvent
  /** `#3 :45002`, the connection's lane title on the screen. */
  connTitle(c: ConnectionTrack): string
}

export function buildModel(recording: Recording): ExportModel {
  const store = new EventStore(Math.max(16, recording.events.length))
  const model = new TraceModel(store)
  model.ingest(store.append(recording.events))
  const connections = model.connections()
  const processes = model.processes()
  const threads = model.threads()
  const servers = model.servers()
  const clients = new Map<string, { run: string; pid: number; connections: number; firstT: number }>()
  for (const e of recording.events)
    if (e.src.role === 'client' && !clients.has(e.src.run)) clients.set(e.src.run, { run: e.src.run, pid: e.src.pid, connections: 0, firstT: e.t })
  for (const c of connections) if (c.clientRun !== null) clients.get(c.clientRun)!.connections++
  const { connIndex } = layoutLanes({
    servers: servers.map(({ listenT, ...s }) => ({ ...s, state: 'recorded', startedAt: listenT })),
    clients: [],
    connections,
    processes,
    threads,
    loops: [],
  })
  const endT = recording.events.at(-1)?.t ?? 0
  return {
    recording,
    store,
    connections,
    processes,
    threads,
    servers,
    connIndex,
    clients,
    endT,
    event: (seq) => store.event(seq)!,
    connTitle: (c) => `#${connIndex.get(c.key) ?? '?'} :${c.clientPort}`,
  }
}
