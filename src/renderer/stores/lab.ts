import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { type Catalog, type CompareStarted, type HostMessage, type LessonRun, type ListeningProcessInfo, type Method, type RecordingInfo, type RunInfo, type SavedTrace, TRACE_PATH } from '../../servers/web/protocol.ts'
import { ApiError, type LabClient } from '../api/lab-client.ts'
import type { TransportStatus } from '../api/transport.ts'

export interface Problem {
  id: number
  code: string
  message: string
}

/** The classic first run: seed 003's forking server, timestamped echo, 5 s of work, 8 clients. */
export const DEMO = {
  server: { model: 'fork', app: 'echo-time', delay: 5 },
  clients: { workload: 'burst', count: 8 },
} as const

const isLive = (r: RunInfo) => r.state === 'starting' || r.state === 'running' || r.state === 'stopping'

/** The host asks the page to open these recordings; `serial` tells one ask from the next (the same files may be asked for twice). */
export interface OpenRequest {
  indices: number[]
  serial: number
}

/** The lab's area: the connection to the host, what can be run, what runs, and the actions. */
export const useLabStore = defineStore('lab', () => {
  const client = shallowRef<LabClient | null>(null)
  const status = ref<TransportStatus>('connecting')
  const host = ref<'web' | 'electron' | null>(null)
  const labPid = ref<number | null>(null)
  const catalog = shallowRef<Catalog | null>(null)
  const runs = ref<RunInfo[]>([])
  const problems = ref<Problem[]>([])
  const inFlight = ref(0)
  /** The trace files the host offers (hello, then `recordings` messages): fetch one with fetchRecording. */
  const recordings = ref<RecordingInfo[]>([])
  /** The latest ask to open recordings (hello's openAtStart, a `recordings` message's `open`); null until there is one. */
  const openRequest = ref<OpenRequest | null>(null)
  let nextProblem = 1
  let nextOpen = 1
  /** The lab whose openAtStart was acted on: a reconnection to it (the same labPid) does not open its files again. */
  let openedAtStartFor: number | null = null

  const servers = computed(() => runs.value.filter((r) => r.kind === 'server'))
  const clientRuns = computed(() => runs.value.filter((r) => r.kind === 'clients'))
  const observedRuns = computed(() => runs.value.filter((r) => r.kind === 'observed'))
  const liveServers = computed(() => servers.value.filter((r) => r.state === 'running'))
  const anyLive = computed(() => runs.value.some(isLive))

  function attach(c: LabClient): void {
    client.value = c
  }

  function setStatus(s: TransportStatus): void {
    status.value = s
  }

  function applyHello(hello: Extract<HostMessage, { type: 'hello' }>): void {
    host.value = hello.host
    labPid.value = hello.labPid
    catalog.value = hello.catalog
    runs.value = hello.runs
    recordings.value = hello.recordings
    if (hello.openAtStart && hello.recordings.length && openedAtStartFor !== hello.labPid) {
      openedAtStartFor = hello.labPid
      openRequest.value = { indices: hello.recordings.map((r) => r.index), serial: nextOpen++ }
    }
  }

  /** The host's list changed (Electron's File › Open, Open Recent): keep it, and pass on what it asks to open. */
  function applyRecordings(message: Extract<HostMessage, { type: 'recordings' }>): void {
    recordings.value = message.recordings
    if (message.open.length) openRequest.value = { indices: [...message.open], serial: nextOpen++ }
  }

  /** Host messages the wiring does not route itself: `recordings`; others are ignored. */
  function applyMessage(message: HostMessage): void {
    if (message.type === 'recordings') applyRecordings(message)
  }

  function setRuns(list: RunInfo[]): void {
    runs.value = list
  }

  function report(problem: { code: string; message: string }): void {
    const entry = { id: nextProblem++, code: problem.code, message: problem.message }
    problems.value = [...problems.value.slice(-4), entry]
    setTimeout(() => dismiss(entry.id), 9000)
  }

  function dismiss(id: number): void {
    problems.value = problems.value.filter((p) => p.id !== id)
  }

  /** Run an action on the lab's client: counted while in flight, a failure reported (as every action's is) and rethrown. */
  async function withClient<T>(action: (c: LabClient) => Promise<T>): Promise<T> {
    if (!client.value) throw new ApiError('NOT_CONNECTED', 'not connected to the lab yet')
    inFlight.value++
    try {
      return await action(client.value)
    } catch (err) {
      const e = err as ApiError
      report({ code: e.code ?? 'INTERNAL', message: e.message })
      throw err
    } finally {
      inFlight.value--
    }
  }

  const call = <T>(method: Method, params: unknown): Promise<T> => withClient((c) => c.request(method, params as never) as Promise<T>)

  const startServer = (spec: Record<string, unknown>) => call<RunInfo>('startServer', spec)
  const stopServer = (id: string) => call<null>('stopServer', { id })
  const runClients = (spec: Record<string, unknown>) => call<RunInfo>('runClients', spec)
  const stopClients = (id: string) => call<null>('stopClients', { id })
  const observe = (pid: number) => call<RunInfo>('observe', { pid })
  const startTrace = (command: string, cwd?: string) => call<RunInfo>('startTrace', cwd ? { command, cwd } : { command })
  const stopObserving = (id: string) => call<null>('stopObserving', { id })
  const listListening = () => call<ListeningProcessInfo[]>('listListening', {})
  const stopAll = () => call<null>('stopAll', {})
  const clear = () => call<null>('clear', {})
  /** The live session's notes, all of them: the host keeps them (a reload, another page, Save trace). */
  const setNotes = (notes: readonly { t: number; text: string }[]) => call<null>('setNotes', { notes })
  const startCompare = (spec: Record<string, unknown>) => call<CompareStarted>('startCompare', spec)
  /** Run a lesson's scenario on the lab; its progress comes in `lessons` messages. */
  const runLesson = (id: string) => call<LessonRun>('runLesson', { id })

  /**
   * A listed recording's file, byte for byte (LabClient.fetchRecording: an HTTP GET in web
   * mode, chunked requests in Electron). A failure is reported, as every action's is, and rejects.
   */
  function fetchRecording(index: number): Promise<Blob> {
    return withClient((c) => c.fetchRecording(index))
  }

  /** Web mode: the URL of one of the host's HTTP paths (with the page's token); null in Electron. */
  function resourceUrl(path: string): string | null {
    return client.value?.resourceUrl(path) ?? null
  }

  /**
   * Save the live session as a trace file. Web mode: the browser downloads the host's
   * TRACE_PATH (streamed by the host, never whole in the page); resolves once the download
   * is asked for. Electron: the host's save dialog and file; resolves once it is written or
   * the person cancelled, and a failure (TRACE_WRITE_FAILED) is reported and rejects.
   */
  async function saveTrace(): Promise<void> {
    const url = client.value?.resourceUrl(TRACE_PATH) ?? null
    if (url === null) {
      await call<SavedTrace | null>('saveTrace', {})
      return
    }
    const link = document.createElement('a')
    link.href = url
    // Empty: the host's Content-Disposition names the file (sockscope-<time>.ndjson).
    link.download = ''
    link.rel = 'noopener'
    document.body.append(link)
    link.click()
    link.remove()
  }

  /** Stop a run of any kind. */
  function stopRun(run: RunInfo): Promise<null> {
    return run.kind === 'server' ? stopServer(run.id) : run.kind === 'clients' ? stopClients(run.id) : stopObserving(run.id)
  }

  /** One click from nothing to the classic picture. */
  async function runDemo(): Promise<void> {
    const server = await startServer({ ...DEMO.server })
    const port = server.ports?.[0]
    if (port) await runClients({ ...DEMO.clients, port })
  }

  return {
    status, host, labPid, catalog, runs, problems, inFlight, recordings, openRequest,
    servers, clientRuns, observedRuns, liveServers, anyLive,
    attach, setStatus, applyHello, applyRecordings, applyMessage, setRuns, report, dismiss,
    startServer, stopServer, runClients, stopClients, startTrace, observe, stopObserving, listListening, stopRun, stopAll, clear, runDemo, startCompare, runLesson,
    fetchRecording, saveTrace, setNotes, resourceUrl,
  }
})
