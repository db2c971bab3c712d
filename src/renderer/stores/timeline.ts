import { defineStore } from 'pinia'
import { computed, markRaw, ref, watch } from 'vue'
import type { RunInfo } from '../../servers/web/protocol.ts'
import { shortCommand } from '../../servers/os/command.ts'
import { listeningPorts, osProcessTrack } from '../model/os-view.ts'
import { osTree, shownObserved } from '../model/process-table.ts'
import { type ClientGroupInfo, type Layout, layoutLanes, type ObservedGroupInfo, type ServerGroupInfo } from '../timeline/layout.ts'
import { fit, follow as followEnd, panBy, type Viewport, zoomAt } from '../timeline/viewport.ts'
import { recordedRuns } from '../model/recorded-runs.ts'
import { markOpenPhase } from '../recording/open-marks.ts'
import { useLabStore } from './lab.ts'
import { usePlayheadStore } from './playhead.ts'
import { useRecordingStore } from './recording.ts'
import { useTraceStore } from './trace.ts'

const isLiveRun = (r: RunInfo) => r.state === 'starting' || r.state === 'running' || r.state === 'stopping'

/**
 * The timeline's area: the lane layout (recomputed when events arrive, once per frame at
 * most), the visible window and how it follows the live edge, the selection.
 */
export const useTimelineStore = defineStore('timeline', () => {
  const lab = useLabStore()
  const trace = useTraceStore()
  const recording = useRecordingStore()
  const view = ref<Viewport>({ start: 0, end: 10e6 })
  const following = ref(true)
  /** While following: show everything since the first event (else a window of fixed span). */
  const fitAll = ref(true)
  const selectedConn = ref<string | null>(null)
  const collapsed = ref<string[]>([])
  /** A lane the canvas should scroll into view (set by the process table). */
  const reveal = ref<string | null>(null)

  /**
   * The runs the screen draws: the lab's, or a recording's (its servers and workloads as
   * its events tell them), so one layout and one process table serve both.
   */
  const runs = computed<RunInfo[]>(() => {
    if (recording.mode === 'live') return lab.runs
    void trace.version
    return recordedRuns(trace.model, trace.store.maxT)
  })

  const layout = computed<Layout>(() => {
    void trace.version
    const model = trace.model
    const serverRuns = runs.value.filter((r) => r.kind === 'server')
    const clientRuns = runs.value.filter((r) => r.kind === 'clients')
    const listens = new Map(model.servers().map((s) => [s.run, s]))
    const connections = model.connections()
    const claimedRuns = new Set(connections.map((c) => c.serverRun))
    const servers: ServerGroupInfo[] = []
    for (const run of serverRuns) {
      const listen = listens.get(run.id)
      if (!listen && !isLiveRun(run) && !claimedRuns.has(run.id)) continue
      servers.push({
        run: run.id,
        pid: run.pid,
        model: listen?.model ?? String(run.spec.model ?? '?'),
        app: listen?.app ?? String(run.spec.app ?? '?'),
        host: run.host ?? listen?.host ?? '127.0.0.1',
        ports: run.ports?.length ? run.ports : (listen?.ports ?? []),
        state: run.state,
        startedAt: run.startedAt,
      })
      listens.delete(run.id)
    }
    // Servers seen only in events (another session started them before this page loaded).
    for (const listen of listens.values())
      servers.push({ ...listen, state: 'seen', startedAt: listen.listenT })
    const clientPids = new Set(model.processes().filter((p) => p.role === 'client').map((p) => p.pid))
    const clients: ClientGroupInfo[] = clientRuns
      .filter((run) => isLiveRun(run) || clientPids.has(run.pid))
      .map((run) => ({
        run: run.id,
        pid: run.pid,
        workload: String(run.spec.workload ?? ''),
        count: typeof run.spec.count === 'number' ? run.spec.count : null,
        port: typeof run.spec.port === 'number' ? run.spec.port : null,
        state: run.state,
        startedAt: run.startedAt,
      }))
    const observed: ObservedGroupInfo[] = shownObserved(runs.value, trace.origin()).map((run) => {
      const procs = model.os.ofRun(run.id)
      const ports = listeningPorts(procs, model.os.sockets)
      return {
        run: run.id,
        pid: run.pid,
        command: shortCommand(String(run.spec.command ?? ''), 60),
        host: ports[0]?.host ?? '127.0.0.1',
        ports: ports.map((p) => p.port),
        state: run.state,
        startedAt: run.startedAt,
        processes: osTree(procs, run.pid).map(({ p, depth }) => ({ proc: osProcessTrack(p), depth, zombie: p.goneT === null && p.latest.state === 'Z' })),
      }
    })
    const laid = layoutLanes({
      servers,
      observed,
      clients,
      connections,
      processes: model.processes(),
      threads: model.threads(),
      loops: model.loops(),
      collapsed: new Set(collapsed.value),
    })
    if (!trace.loading) markOpenPhase('laid-out')
    return markRaw(laid)
  })

  /** Where open phases of a run end: now while it runs, else when it ended. */
  function liveEnd(run: string | null): number {
    const info = run ? runs.value.find((r) => r.id === run) : undefined
    if (info) return isLiveRun(info) ? trace.nowUs() : (info.endedAt ?? trace.store.maxT)
    return isLive() ? trace.nowUs() : trace.store.maxT
  }

  /** Whether the picture still grows: something runs in the lab, and the screen shows the lab (not a recording). */
  function isLive(): boolean {
    return recording.mode === 'live' && lab.anyLive
  }

  /**
   * The live edge: now while anything runs, else the last event, or the last run's end if
   * that came later: a stopped server's run ends when the lab has it stopped, a moment
   * after its last event, and at the edge the table must show it ended, not still waiting.
   */
  function edge(): number {
    const last = Number.isFinite(trace.store.maxT) ? trace.store.maxT : trace.nowUs()
    if (isLive()) return Math.max(trace.nowUs(), last)
    let ended = last
    if (recording.mode === 'live') for (const run of lab.runs) if (run.endedAt !== null && run.endedAt > ended) ended = run.endedAt
    return ended
  }

  /**
   * The window to draw now: computed each frame while following, else the user's.
   * Following keeps the playhead in view: "fit all" shows from the first event to the
   * playhead (to the edge, live), a fixed span ends at the playhead. (The playhead store
   * is read here, not at setup: it reads this one.)
   */
  function currentView(): Viewport {
    if (!following.value) return view.value
    const end = usePlayheadStore().at()
    if (fitAll.value) return fit(trace.origin(), Math.max(isLive() ? end : edge(), trace.origin() + 1e6), 0.02)
    return followEnd(view.value, end + (view.value.end - view.value.start) * 0.02)
  }

  function stopFollowing(): Viewport {
    const v = currentView()
    view.value = v
    following.value = false
    return v
  }

  function zoom(factor: number, anchor?: number): void {
    if (following.value && anchor === undefined) {
      // Zooming from the toolbar while following keeps the live edge in view.
      const v = currentView()
      view.value = zoomAt(v, factor, v.end)
      fitAll.value = false
      return
    }
    const v = stopFollowing()
    view.value = zoomAt(v, factor, anchor ?? (v.start + v.end) / 2)
  }

  function pan(deltaUs: number): void {
    const v = stopFollowing()
    view.value = panBy(v, deltaUs)
  }

  function setView(v: Viewport): void {
    following.value = false
    view.value = v
  }

  /**
   * Off: stay on the window shown at this moment (which, while following, is computed each
   * frame, not the last one the user set). On: follow the live edge with the current span,
   * and pin the playhead to it.
   */
  function setFollowing(on: boolean): void {
    // Following catches up: the playhead goes back to the edge too (live: now).
    if (on) usePlayheadStore().follow()
    if (on === following.value) return
    if (on) following.value = true
    else stopFollowing()
  }

  /** Everything in view; the playhead stays where it is (a replay paused mid-run stays paused). */
  function fitToAll(): void {
    following.value = true
    fitAll.value = true
  }

  function select(conn: string | null): void {
    selectedConn.value = selectedConn.value === conn ? null : conn
  }

  function toggleGroup(key: string): void {
    collapsed.value = collapsed.value.includes(key) ? collapsed.value.filter((k) => k !== key) : [...collapsed.value, key]
  }

  function revealLane(key: string | null, conn: string | null = null): void {
    if (conn) selectedConn.value = conn
    reveal.value = key
  }

  // A clear (or a reconnection) starts the picture afresh: the old window, selection and
  // lane to reveal refer to events that are gone. Collapsed groups are a preference: kept.
  watch(
    () => trace.epoch,
    () => {
      view.value = { start: trace.origin(), end: trace.origin() + 10e6 }
      following.value = true
      fitAll.value = true
      selectedConn.value = null
      reveal.value = null
    },
    { flush: 'sync' },
  )

  return {
    runs, view, following, fitAll, selectedConn, collapsed, reveal, layout,
    liveEnd, isLive, edge, currentView, zoom, pan, setView, setFollowing, fitToAll, select, toggleGroup, revealLane,
  }
})
