import { z } from 'zod'
import type { SockscopeEvent } from '../events.ts'
import { WorkloadVerdictSchema } from '../clients/verdict.ts'
import { TRACE_LESSON_MAX_CHARS, TRACE_NOTE_MAX_CHARS } from '../trace-lines.ts'

/**
 * The API between a host (web mode's WebSocket, Electron's IPC) and the renderer. Both
 * hosts carry the same messages, so the renderer knows one protocol and one adapter per
 * host. Every message is checked with these schemas on the side that receives it.
 * Runtime-neutral: zod only, imported by Node and by the browser bundle alike.
 */

export const PROTOCOL_VERSION = 1
/** Web mode: the WebSocket endpoint, beside the static files. */
export const API_PATH = '/api'
/** Web mode: `GET /api/recordings/<index>` streams that recording's file as it is on disk. */
export const RECORDINGS_PATH = '/api/recordings/'
/** Web mode: `GET /api/trace` streams the live session as a trace file, as a download. */
export const TRACE_PATH = '/api/trace'
/**
 * Web mode: `POST /api/export` renders the recording in its body (a trace file) as the
 * EXPORT_ASK_HEADER header asks (render/export-ask.ts), answering ExportLine lines as NDJSON;
 * `GET /api/export/<id>` downloads the file (see web/export-route.ts).
 */
export const EXPORT_PATH = '/api/export'
/** The export's ask, as URI-encoded JSON; EXPORT_NAME_HEADER: the recording's name, for the file's. */
export const EXPORT_ASK_HEADER = 'sockscope-export-ask'
export const EXPORT_NAME_HEADER = 'sockscope-export-name'
/** What an export answers as it goes: its phase, frames done of total, then the file to download, or why it failed. */
export const ExportLineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('phase'), phase: z.enum(['opening', 'frames', 'encoding']) }),
  z.object({ type: z.literal('progress'), done: z.number().int(), total: z.number().int() }),
  z.object({ type: z.literal('done'), url: z.string(), name: z.string(), bytes: z.number().int(), frames: z.number().int() }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
])
export type ExportLine = z.infer<typeof ExportLineSchema>
/**
 * The most one `readRecording` may ask for. The bytes travel base64-encoded in one
 * response (5.3 MB of text for 4 MiB): small enough for one IPC message and one atob,
 * large enough that a 300 MB trace is 75 requests.
 */
export const MAX_RECORDING_CHUNK = 4 * 1024 * 1024

/**
 * Web mode: why the host closed a session on purpose, as WebSocket close codes (the
 * application range, 4000–4999); the close reason starts with the error code and says
 * the rest in a sentence.
 */
export const CLOSE_CODES = {
  /** The page did not read what it was sent (see the host's bound): dropped so the lab and other sessions go on. */
  SLOW_CONSUMER: 4008,
  /** Too many sessions at once (`sockscope web --max-sessions`). */
  LIMIT_REACHED: 4029,
} as const

const errorInfo = z.object({ code: z.string(), message: z.string() })
export type WireError = z.infer<typeof errorInfo>

const runId = z.string().regex(/^[a-z]\d+$/)
/** Spec input: validated in full by the lab (ServerSpec / ClientSpec), so a bad value
 *  comes back as the lab's own BAD_OPTION message. */
const specInput = z.record(z.string(), z.unknown())

/** The most notes a session keeps: a screencast's worth many times over, and a bound. */
export const MAX_SESSION_NOTES = 500
/** A session's notes: each at an instant (µs on the lab's clock), one sentence; the bound is the trace format's. */
export const SessionNotesSchema = z.array(z.object({ t: z.number().finite(), text: z.string().min(1).max(TRACE_NOTE_MAX_CHARS) })).max(MAX_SESSION_NOTES)

/** The most lesson runs a session keeps; the oldest is forgotten first. */
export const MAX_SESSION_LESSONS = 50

/**
 * A lesson run in the session (lessons/runner.ts's runScenario, run by the lab): which
 * lesson, when it started (µs on the lab's clock), which run id each of its named servers
 * and workloads got (filled in as they start), how far it is, and what did not go as its
 * scenario says. What a trace keeps of it is TraceLessonRun: the lesson, t and runs.
 */
export const LessonRunSchema = z.object({
  t: z.number().finite(),
  lesson: z.string().min(1).max(TRACE_LESSON_MAX_CHARS),
  runs: z.object({ servers: z.record(z.string(), runId), clients: z.record(z.string(), runId) }),
  state: z.enum(['running', 'finished', 'failed']),
  problems: z.array(z.string()).default([]),
  error: errorInfo.optional(),
})
export type LessonRun = z.infer<typeof LessonRunSchema>

/** Renderer → host. `id` pairs a request with its response. */
export const RequestSchema = z.discriminatedUnion('method', [
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('startServer'), params: specInput }),
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('stopServer'), params: z.object({ id: runId }) }),
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('runClients'), params: specInput }),
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('stopClients'), params: z.object({ id: runId }) }),
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('stopAll'), params: z.object({}).optional() }),
  /** Watch a process Sockscope did not start (and its descendants) as the OS sees it:
   *  `proc` and `sockets` events under a new run of kind 'observed'. */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('observe'), params: z.object({ pid: z.number().int().positive() }) }),
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('stopObserving'), params: z.object({ id: runId }) }),
  /**
   * Trace a program with strace (tracer/): `command` is a command line as typed (split as
   * a shell splits words, nothing expanded), run in `cwd` (default: the host's). Its run is
   * a server's (kind 'server', spec.model 'traced'), its ports filled in as it listens;
   * stopServer stops it and everything it started. Refused (NOT_ALLOWED) on a web host
   * served beyond loopback: a page from another machine must not run commands here.
   */
  z.object({
    type: z.literal('request'),
    id: z.number().int().nonnegative(),
    method: z.literal('startTrace'),
    params: z.object({ command: z.string().max(4096), cwd: z.string().max(4096).optional() }),
  }),
  /** Processes with a TCP socket in LISTEN, to pick one to observe. Result: ListeningProcess[]. */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('listListening'), params: z.object({}).optional() }),
  /** Forget the events seen so far (the timeline starts afresh; running processes go on). */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('clear'), params: z.object({}).optional() }),
  /**
   * Bytes of a recording the host lists (hello's and `recordings` messages' `recordings`),
   * for a page that cannot fetch its HTTP path (Electron). `length` at most
   * MAX_RECORDING_CHUNK; an offset past the end or a length over the cap is refused with
   * BAD_MESSAGE, saying which. Result: RecordingChunk.
   */
  z.object({
    type: z.literal('request'),
    id: z.number().int().nonnegative(),
    method: z.literal('readRecording'),
    params: z.object({ index: z.number().int().nonnegative(), offset: z.number().int().nonnegative(), length: z.number().int().positive() }),
  }),
  /**
   * One client load against 2–4 models at once (compare/run.ts's CompareSpec: models,
   * workload, count, delay, ops, lock): every server started, every workload held ready,
   * then all released together. Result: CompareStarted.
   */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('startCompare'), params: specInput }),
  /** Electron: save the live session as a trace file, through a save dialog. Result: SavedTrace, or null when the person cancelled. Web mode downloads TRACE_PATH instead. */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('saveTrace'), params: z.object({}).optional() }),
  /** The session's notes, all of them (the page edits the list; the host keeps it, saves it, and tells every page). */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('setNotes'), params: z.object({ notes: SessionNotesSchema }) }),
  /**
   * Run a lesson's scenario (lessons/) on this lab: its servers, then its workloads as
   * their conditions hold; its servers are stopped once every connection's end is in.
   * Answers at once with the LessonRun; every page follows it in `lessons` messages.
   * One lesson at a time: another while one runs is refused with LIMIT_REACHED.
   */
  z.object({ type: z.literal('request'), id: z.number().int().nonnegative(), method: z.literal('runLesson'), params: z.object({ id: z.string().min(1).max(TRACE_LESSON_MAX_CHARS) }) }),
])
export type Request = z.infer<typeof RequestSchema>
export type Method = Request['method']

export const RunStateSchema = z.enum(['starting', 'running', 'stopping', 'stopped', 'finished', 'crashed'])
export type RunState = z.infer<typeof RunStateSchema>

/**
 * What a finished workload computed (servers/web/outcome.ts): its clients served and
 * failed (auditors not counted), each served client's time, the errors grouped by code,
 * and its verdict on the server (the bank's audit), or why the audit could not be made.
 */
export const RunOutcomeSchema = z.object({
  ok: z.number().int(),
  failed: z.number().int(),
  /** The longest time any of its connections took (ms). */
  elapsedMs: z.number(),
  /** Served clients' times, connect to last reply (ms); null when none was served. */
  latency: z.object({ min: z.number(), median: z.number(), max: z.number() }).nullable().optional(),
  errors: z.array(z.object({ code: z.string(), message: z.string(), count: z.number().int() })).optional(),
  auditError: errorInfo.optional(),
  verdict: WorkloadVerdictSchema.optional(),
})
export type RunOutcome = z.infer<typeof RunOutcomeSchema>

/** A server or client workload the lab started, or a process it observes, as the UI lists
 *  it. Times are the lab's clock (µs). An observed run's spec is `{ pid, command }`. */
export const RunInfoSchema = z.object({
  id: runId,
  kind: z.enum(['server', 'clients', 'observed']),
  pid: z.number().int(),
  state: RunStateSchema,
  spec: z.record(z.string(), z.unknown()),
  host: z.string().optional(),
  ports: z.array(z.number().int()).optional(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  /** Client workloads, once finished: what the workload computed (see RunOutcomeSchema). */
  outcome: RunOutcomeSchema.optional(),
})
export type RunInfo = z.infer<typeof RunInfoSchema>

export const FieldInfoSchema = z.object({
  name: z.string(),
  type: z.enum(['number', 'integer', 'string', 'boolean', 'enum', 'list']),
  itemType: z.enum(['string', 'number', 'integer']).optional(),
  default: z.unknown().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  choices: z.array(z.string()).optional(),
  description: z.string().optional(),
  required: z.boolean(),
  /** For people: the form's label (sentence case), the value's unit, and a hint. */
  label: z.string().optional(),
  unit: z.string().optional(),
  help: z.string().optional(),
})
export type FieldInfo = z.infer<typeof FieldInfoSchema>

const entry = z.object({ name: z.string(), summary: z.string(), options: z.array(z.string()).default([]) })

/** What can be run, from the registries and the specs, so new models, apps and
 *  workloads appear in the UI without UI changes. */
export const CatalogSchema = z.object({
  models: z.array(entry),
  apps: z.array(entry),
  workloads: z.array(entry),
  serverFields: z.array(FieldInfoSchema),
  clientFields: z.array(FieldInfoSchema),
})
export type Catalog = z.infer<typeof CatalogSchema>

/** A trace file the host offers to the page: `index` names it in requests and paths, `bytes` is its size when it was listed. */
export const RecordingInfoSchema = z.object({ index: z.number().int().nonnegative(), name: z.string(), bytes: z.number().int().nonnegative() })
export type RecordingInfo = z.infer<typeof RecordingInfoSchema>

/**
 * The result of `readRecording`: the file's bytes from `offset`, base64 (a trace may hold
 * any bytes, and a chunk may end inside a UTF-8 character: text would not give back the
 * file as it is). `eof` once offset + bytes reaches `size`, the file's size now.
 */
export const RecordingChunkSchema = z.object({ offset: z.number().int(), bytes: z.number().int(), size: z.number().int(), eof: z.boolean(), data: z.string() })
export type RecordingChunk = z.infer<typeof RecordingChunkSchema>

/** The result of `startCompare`: per model, in the order asked, its server's run and its workload's. */
export const CompareStartedSchema = z.object({ pairs: z.array(z.object({ model: z.string(), server: RunInfoSchema, clients: RunInfoSchema })) })
export type CompareStarted = z.infer<typeof CompareStartedSchema>

/** The result of `saveTrace`: where the file went and how many events it holds. */
export const SavedTraceSchema = z.object({ path: z.string(), events: z.number().int() })
export type SavedTrace = z.infer<typeof SavedTraceSchema>

/** The fields every consumer relies on; the rest of an event is passed through as is. */
export const WireEventSchema = z.looseObject({
  kind: z.string(),
  t: z.number(),
  src: z.object({ role: z.string(), run: z.string(), pid: z.number(), tid: z.number() }),
})

/** Host → renderer. `now` is the lab's clock (µs since its origin) when the message left. */
export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    protocol: z.literal(PROTOCOL_VERSION),
    host: z.enum(['web', 'electron']),
    labPid: z.number().int(),
    now: z.number(),
    /** Wall-clock ms (Unix epoch) at the lab's origin, for clock-time labels. */
    originWallMs: z.number(),
    catalog: CatalogSchema,
    runs: z.array(RunInfoSchema),
    /** The lab's time of the last clear: what came before it is forgotten, except the OS's
     *  latest reading of the processes still alive (the history starts with those). */
    clearedAt: z.number().nullable().optional(),
    /** Trace files the host offers (`sockscope web FILE...`, File › Open): fetched by index. */
    recordings: z.array(RecordingInfoSchema).default([]),
    /** The host was started with files to open: the page opens every listed recording, and no live run is started for it. */
    openAtStart: z.boolean().default(false),
    /** The live session's notes (µs on the lab's clock), so a reloaded page has them again. */
    notes: SessionNotesSchema.default([]),
    /** The lessons run in the live session, so a reloaded page ticks their checkpoints again. */
    lessons: z.array(LessonRunSchema).max(MAX_SESSION_LESSONS).default([]),
  }),
  /** ok: `result` holds the method's result; not ok: `error` says why. */
  z.object({ type: z.literal('response'), id: z.number().int(), ok: z.boolean(), result: z.unknown().optional(), error: errorInfo.optional() }),
  z.object({ type: z.literal('events'), now: z.number(), events: z.array(WireEventSchema) }),
  z.object({ type: z.literal('runs'), now: z.number(), runs: z.array(RunInfoSchema) }),
  z.object({ type: z.literal('problem'), run: z.string(), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('cleared'), now: z.number() }),
  /** The session's notes changed (a page set them): every page shows these. */
  z.object({ type: z.literal('notes'), notes: SessionNotesSchema }),
  /** A lesson run started, got a run id, finished or failed: every lesson run of the session. */
  z.object({ type: z.literal('lessons'), lessons: z.array(LessonRunSchema).max(MAX_SESSION_LESSONS) }),
  /** The host's list of recordings changed (File › Open in Electron); `open`: the indices the page should open now. */
  z.object({ type: z.literal('recordings'), recordings: z.array(RecordingInfoSchema), open: z.array(z.number().int().nonnegative()) }),
])
const osSocket = z.object({
  fd: z.number().nullable(),
  family: z.enum(['tcp', 'tcp6']),
  local: z.string(),
  remote: z.string(),
  state: z.string(),
  rxQueue: z.number().nullable(),
  txQueue: z.number().nullable(),
  acceptQueue: z.number().nullable(),
})
/** The result of `listListening`. */
export const ListeningProcessSchema = z.object({ pid: z.number().int(), ppid: z.number().int(), command: z.string(), listening: z.array(osSocket) })
export type ListeningProcessInfo = z.infer<typeof ListeningProcessSchema>

type WireMessage = z.infer<typeof HostMessageSchema>
/** The host's messages, with events typed as the event union (the schema checks their common fields). */
export type HostMessage = Exclude<WireMessage, { type: 'events' }> | { type: 'events'; now: number; events: SockscopeEvent[] }
