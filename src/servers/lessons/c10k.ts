import type { SockscopeEvent } from '../events.ts'
import type { Lesson, LessonView } from './lesson.ts'
import { kind, mostInService, ofRun, procsOf, round, sampledAfter } from './measure.ts'

/**
 * Sized for this machine, honestly: a thread here is a Node worker with a V8 isolate of
 * its own (about 12 MB resident and 100 ms of CPU to start, measured on a 2-core machine;
 * a C thread costs a few µs and its stack is touched on demand). 50 such threads take a
 * few seconds and about 600 MB; the texts scale the measured cost per connection up to
 * a thousand. The select server gets the thousand itself (the lab's cap on clients).
 */
const THREADS = 50
const SELECT = 1000
/**
 * The select server's clients come in waves, each once the one before is accepted: the
 * listen backlog is 128, and a thousand handshakes at once overflow it; the kernel then
 * answers with SYN cookies, and an idle client that never sends is never accepted.
 */
const WAVE = 250
/**
 * The idle clients leave once every connection is being served and the OS has sampled
 * the server since (its peaks are on record), not after a fixed time: on a busy machine
 * the isolates take longer to boot. This is only the bound.
 */
const HOLD_S = 60

/** The OS's view of a server process: its thread count and RSS when first seen, and their peaks. */
function osView(events: readonly SockscopeEvent[], run: string | undefined) {
  const server = ofRun(events, run).find((e) => e.kind === 'listen')?.src.pid
  const samples = procsOf(events, run).filter((p) => p.pid === server && p.change !== 'gone')
  const first = samples[0]
  const baseThreads = first?.threads ?? 0
  const baseRss = first?.rssBytes ?? 0
  const peakThreads = Math.max(0, ...samples.map((p) => p.threads ?? 0))
  const peakRss = Math.max(0, ...samples.map((p) => p.rssBytes ?? 0))
  return { baseThreads, peakThreads, baseRss, peakRss, sampled: samples.length > 1 }
}

const perConnection = (os: ReturnType<typeof osView>, n: number) => Math.max(0, os.peakRss - os.baseRss) / n

export const c10kLesson: Lesson = {
  id: 'c10k',
  seed: { file: 'beyond', part: 'C10k' },
  program: 'c10k',
  steps: 4,
  scenario: {
    servers: {
      threads: { model: 'thread', app: 'echo', maxThreads: THREADS },
      select: { model: 'select', app: 'echo' },
    },
    clients: [
      {
        name: 'threads',
        server: 'threads',
        spec: { workload: 'idle', count: THREADS, hold: HOLD_S },
        leaveWhen: ({ events, runs }) => sampledAfter(events, runs.servers.threads, 'thread-start', THREADS),
      },
      // After the threads' clients, so that each server's peaks are its own.
      ...Array.from({ length: SELECT / WAVE }, (_, i) => ({
        name: `select${i + 1}`,
        server: 'select',
        spec: { workload: 'idle', count: WAVE, hold: HOLD_S },
        after: ['threads'],
        until: ({ events, runs }: LessonView) => kind(ofRun(events, runs.servers.select), 'accept').length >= i * WAVE,
        leaveWhen: ({ events, runs }: LessonView) => sampledAfter(events, runs.servers.select, 'accept', SELECT),
      })),
    ],
  },
  checkpoints: [
    {
      id: 'thread-per-connection',
      check({ events, runs }) {
        const os = osView(events, runs.servers.threads)
        const started = kind(ofRun(events, runs.servers.threads), 'thread-start')
        const pythonMs = started.find((e) => e.modelledStart)?.modelledStart?.us
        return {
          observed: started.length === THREADS && os.peakThreads >= THREADS + 1,
          figures: {
            count: THREADS,
            started: started.length,
            threads: os.peakThreads,
            baseline: os.baseThreads,
            perConnMB: round(perConnection(os, THREADS) / 2 ** 20, 1),
            pythonMs: pythonMs === undefined ? '?' : round(pythonMs / 1000, 2),
          },
        }
      },
    },
    {
      id: 'select-one-thread',
      check({ events, runs }) {
        const os = osView(events, runs.servers.select)
        const most = mostInService(ofRun(events, runs.servers.select))
        return {
          observed: os.sampled && most === SELECT && os.peakThreads <= os.baseThreads + 2,
          figures: { count: SELECT, most, threads: os.peakThreads, baseline: os.baseThreads, perConnKB: round(perConnection(os, SELECT) / 1024, 0) },
        }
      },
    },
    {
      id: 'memory-per-connection',
      check({ events, runs }) {
        const threads = perConnection(osView(events, runs.servers.threads), THREADS)
        const select = perConnection(osView(events, runs.servers.select), SELECT)
        // A floor of 1 KB per connection: a select server's growth can vanish in its allocator's noise.
        const ratio = threads / Math.max(select, 1024)
        return {
          observed: threads > 0 && ratio >= 10,
          figures: { threadMB: round(threads / 2 ** 20, 1), selectKB: round(select / 1024, 0), ratio: round(ratio, 0), thousandGB: round((threads * 1000) / 2 ** 30, 1) },
        }
      },
    },
  ],
}
