import type { SockscopeEvent } from '../events.ts'
import type { ClientSpecInput, ServerSpecInput } from '../spec.ts'

/**
 * A lesson is data: which seed it follows, what to run, what to look for in the events,
 * and a question. Its texts (title, steps, checkpoint sentences, question and answer)
 * live in locales/<lang>.json under `lessons.<id>`, one set per language, so the CLI and
 * the renderer say the same things in the same words. Nothing here imports Node: the
 * renderer evaluates the same checkpoints over a recording at its playhead.
 */
export interface Lesson {
  /** `naive-server`: the CLI's argument and the key of its texts. */
  id: string
  /** The seed tutorial it follows (`000` … `004`; `beyond` for C10k) and the part of it. */
  seed: { file: string; part: string }
  /** The program shown in the code panel (src/servers/programs), by id. */
  program: string
  /** How many steps of text it has (locales: `lessons.<id>.steps`, an array). */
  steps: number
  scenario: Scenario
  checkpoints: readonly Checkpoint[]
}

/**
 * What to run: servers, all started first, then client workloads in order, each once
 * its `after` workloads have finished and its `until` condition holds, and `pauseS`
 * later. Durations are scaled from the seed's (a 0.5 s delay for its time.sleep(5)) so a
 * lesson runs in seconds; the texts give the seed's own numbers.
 */
export interface Scenario {
  servers: Readonly<Record<string, ServerSpecInput>>
  clients: readonly ScenarioClients[]
}

export interface ScenarioClients {
  name: string
  /** The `servers` key it connects to. */
  server: string
  /** Which of that server's ports (select over two ports); default 0. */
  port?: number
  spec: Omit<ClientSpecInput, 'host' | 'port'>
  /** Names of earlier workloads that must have finished first. */
  after?: readonly string[]
  /** A condition on the events so far that must hold first (every child has exited). */
  until?: (view: LessonView) => boolean
  /** Then wait this long: part of the demonstration (a zombie left for a moment), not a sync. */
  pauseS?: number
  /**
   * The clients leave (the workload is stopped) once this holds, rather than after a fixed
   * hold: a scenario made of conditions, not of durations, shows the same thing on a busy
   * machine as on an idle one. The workload's own hold or timeout bounds it.
   */
  leaveWhen?: (view: LessonView) => boolean
}

/** Scenario names → the lab's run ids (`s1`, `c2`), which tag every event's `src.run`. */
export interface LessonRuns {
  servers: Readonly<Record<string, string>>
  clients: Readonly<Record<string, string>>
}

/** What a checkpoint looks at: the events up to the playhead, and who is who in them. */
export interface LessonView {
  events: readonly SockscopeEvent[]
  runs: LessonRuns
}

/** A number or a word for a checkpoint's sentence (`{{waited}}`). */
export type Figures = Record<string, number | string>

export interface CheckpointResult {
  observed: boolean
  /** What was measured, and what was looked for, for the sentence: always all of them, 0 before anything happened. */
  figures: Figures
}

/**
 * "What to notice": a pure function of the events seen so far. Evaluated at the end of
 * a headless run, or at every playhead position over a recording; so a checkpoint that is
 * observed at time t stays observed at every later t.
 */
export interface Checkpoint {
  id: string
  check(view: LessonView): CheckpointResult
}

export interface CheckpointOutcome extends CheckpointResult {
  id: string
}

/** Every checkpoint of a lesson over the events seen so far (the whole run, or up to a playhead). */
export function evaluate(lesson: Lesson, view: LessonView): CheckpointOutcome[] {
  return lesson.checkpoints.map((c) => ({ id: c.id, ...c.check(view) }))
}
