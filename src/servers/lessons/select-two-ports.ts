import type { SockscopeEvent } from '../events.ts'
import type { Lesson, LessonView, ScenarioClients } from './lesson.ts'
import { kind, ofRun, round, S, serverPort, served } from './measure.ts'

/** The client that never reads: it sends this much, and stays at most this long. */
const STUCK_BYTES = 8 * 1024 * 1024
const HOLD_S = 30
/** What the kernel holds of the blocking server's reply, unsent, when the others are let in: its send is about to block, if it has not yet. */
const FULL_BYTES = 512 * 1024
/** Then the other clients come this long after. */
const LATER_S = 0.3
/** On the blocking server, the stuck client leaves this long (of the stream's clock) after the last other client has connected. */
const STALL_S = 1
const OTHERS = 4

const stuck = { workload: 'no-read', count: 1, bytes: STUCK_BYTES, hold: HOLD_S } as const

/**
 * Both stuck clients have connected (their driver says so), and the OS shows the blocking
 * server's reply piling up in the kernel (the lab's sampler: a server stuck in send cannot
 * report anything itself).
 */
const stuckAndFull = ({ events, runs }: LessonView) =>
  [runs.clients.stuck, runs.clients.stuckWs].every((run) => kind(ofRun(events, run), 'connect').length > 0) &&
  events.some((e) => e.kind === 'sockets' && e.src.run === runs.servers.blocking && e.sockets?.some((s) => (s.txQueue ?? 0) >= FULL_BYTES))

/** The other clients on the blocking server have all connected, and waited STALL_S since. */
const othersStalled = ({ events, runs }: LessonView) => {
  const connects = [runs.clients.first, runs.clients.second].flatMap((run) => kind(ofRun(events, run), 'connect'))
  return connects.length === OTHERS && (events.at(-1)?.t ?? 0) - Math.max(...connects.map((e) => e.t)) >= STALL_S * 1e6
}

/** The other clients on the write-select server have all been served. */
const othersServed = ({ events, runs }: LessonView) =>
  [runs.clients.firstWs, runs.clients.secondWs].flatMap((run) => kind(ofRun(events, run), 'close')).length === OTHERS

const others = (name: string, server: string, port: number, words: string[]): ScenarioClients => ({
  name,
  server,
  port,
  spec: { workload: 'burst', count: OTHERS / 2, words },
  until: stuckAndFull,
  pauseS: LATER_S,
})

/** Client side: each connection's connect time and first echoed byte. */
function firstReplies(clientEvents: readonly SockscopeEvent[]) {
  const at = new Map<string, { connectedAt: number; repliedAt?: number }>()
  for (const e of clientEvents) {
    if (e.kind === 'connect') at.set(e.conn, { connectedAt: e.t })
    else if (e.kind === 'recv') {
      const c = at.get(e.conn)
      if (c && c.repliedAt === undefined) c.repliedAt = e.t
    }
  }
  return [...at.values()]
}

/**
 * Seed 003's select-server.py: one loop over two listening ports, and a reply sent with
 * a plain send() ("this may block: should really select for writes too"). A client that
 * never reads fills the buffers, the send blocks, and the whole loop with it. Beside it,
 * the same server selecting for writes too (seed 001's EVENT_WRITE and outb).
 */
export const selectTwoPortsLesson: Lesson = {
  id: 'select-two-ports',
  seed: { file: '003', part: 'Multiplexing Servers with select; Choosing a Server Scheme' },
  program: 'seed003-select-two-ports',
  steps: 4,
  scenario: {
    servers: {
      blocking: { model: 'select', app: 'echo', ports: 2, writeSelect: false },
      writeSelect: { model: 'select', app: 'echo', ports: 2, writeSelect: true },
    },
    clients: [
      { name: 'stuck', server: 'blocking', spec: stuck, leaveWhen: othersStalled },
      { name: 'stuckWs', server: 'writeSelect', spec: stuck, leaveWhen: othersServed },
      others('first', 'blocking', 0, ['Hello']),
      others('second', 'blocking', 1, ['Sir', 'Lancelot']),
      others('firstWs', 'writeSelect', 0, ['Hello']),
      others('secondWs', 'writeSelect', 1, ['Sir', 'Lancelot']),
    ],
  },
  checkpoints: [
    {
      id: 'two-ports-one-loop',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.blocking)
        const listening = kind(server, 'listen').map((e) => e.port)
        const ports = new Set(served(server).map((s) => serverPort(s.conn)))
        const threads = new Set(server.map((e) => `${e.src.pid}/${e.src.tid}`)).size
        return { observed: listening.length === 2 && listening.every((p) => ports.has(p)) && threads === 1, figures: { ports: ports.size, listening: listening.length, threads } }
      },
    },
    {
      id: 'send-blocks-everyone',
      check({ events, runs }) {
        const server = ofRun(events, runs.servers.blocking)
        // The longest of the loop's sends stuck on the peer: the kernel may take a little of
        // the reply now and then, which ends one blocked send() and starts the next.
        const unblocks = kind(server, 'unblock').filter((e) => e.on === 'send')
        let block: SockscopeEvent | undefined
        let unblock: SockscopeEvent | undefined
        for (const b of kind(server, 'block')) {
          if (b.on !== 'send' || b.cause !== 'peer-not-reading') continue
          const u = unblocks.find((e) => e.t >= b.t)
          if (u && (!block || u.t - b.t > unblock!.t - block.t)) [block, unblock] = [b, u]
        }
        if (!block || !unblock) return { observed: false, figures: { blocked: 0, stalled: 0, longest: 0 } }
        const others = [runs.clients.first, runs.clients.second].flatMap((run) => firstReplies(ofRun(events, run)))
        const during = others.filter((c) => c.connectedAt >= block.t && c.connectedAt < unblock.t)
        const stalled = during.filter((c) => c.repliedAt !== undefined && c.repliedAt > unblock.t)
        const longest = Math.max(0, ...stalled.map((c) => S(c.repliedAt! - c.connectedAt)))
        return {
          observed: S(unblock.t - block.t) >= STALL_S * 0.9 && during.length > 0 && stalled.length === during.length,
          figures: { blocked: round(S(unblock.t - block.t), 2), stalled: stalled.length, longest: round(longest, 2) },
        }
      },
    },
    {
      id: 'write-select-keeps-going',
      check({ events, runs }) {
        const stuckClose = kind(ofRun(events, runs.clients.stuckWs), 'close')[0]?.t ?? Number.POSITIVE_INFINITY
        const closes = [runs.clients.firstWs, runs.clients.secondWs].flatMap((run) => kind(ofRun(events, run), 'close'))
        const servedMeanwhile = closes.filter((e) => e.t < stuckClose).length
        return { observed: servedMeanwhile === OTHERS, figures: { served: servedMeanwhile, count: OTHERS } }
      },
    },
  ],
}
