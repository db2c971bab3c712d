import type { OsSocket } from '../events.ts'

export type { OsSocket }

/**
 * One process as the OS reports it. Fields a platform cannot provide are null, never
 * guessed: macOS's ps gives no thread ids, Windows has no state letter ('?').
 */
export interface ProcessInfo {
  pid: number
  ppid: number
  /** The kernel's state letter: R, S, D, Z, T, t, I, … ('?' where the platform cannot tell). */
  state: string
  /** Short name (Linux comm), which a zombie keeps. */
  name: string
  /** As `ps -f` prints it: the arguments, `[name]` without any, `[name] <defunct>` for a zombie. */
  command: string
  threads: number | null
  threadIds: number[] | null
  /** User + system CPU time so far (ms). */
  cpuMs: number | null
  /** Filled in by the sampler: % of one core since its previous sample, or over the life of the process. */
  cpuPercent: number | null
  rssBytes: number | null
  /** ms since the Unix epoch. With the pid it names a process: a reused pid has another start. */
  startTime: number | null
  uid: number | null
  /** Only when sockets were asked for; null when they cannot be read (another user's process). */
  sockets?: OsSocket[] | null
}

export interface ReadOptions {
  /** Read the TCP socket table of each process (costs a readlink per descriptor on Linux). */
  sockets: boolean
}

/** A process with at least one TCP socket in LISTEN (the observe picker). */
export interface ListeningProcess {
  pid: number
  ppid: number
  command: string
  /** Its LISTEN sockets; acceptQueue is how many connections wait for accept(). */
  listening: OsSocket[]
}

/**
 * Where process data comes from: /proc on Linux, the platform's tools elsewhere. One
 * instance per sampler (it may cache what does not change, such as command lines).
 */
export interface ProcessSource {
  /** Names the data's origin for people: 'linux /proc', 'ps + lsof', … */
  readonly description: string
  /**
   * The processes under `roots` (roots included, then descendants, depth first, in pid
   * order), plus each pid of `extra` still alive with the given start time (processes
   * seen before that left the tree: orphans reparented to init). Gone roots are skipped.
   */
  read(roots: readonly number[], extra: ReadonlyMap<number, number | null>, options: ReadOptions): Promise<ProcessInfo[]>
  /** Processes with TCP sockets in LISTEN, by pid. */
  listening(): Promise<ListeningProcess[]>
  /** Whether `pid` names a live process (not a thread of one): 'process', 'thread' (of `tgid`), or 'none'. */
  lookup(pid: number): Promise<{ kind: 'process' } | { kind: 'thread'; tgid: number } | { kind: 'none' }>
}
