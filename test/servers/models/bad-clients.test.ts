import { afterEach, describe, expect, it } from 'vitest'
import { BAD_CLIENTS } from '../../../src/servers/clients/workloads/index.ts'
import type { ClientResult } from '../../../src/servers/host/protocol.ts'
import type { ServerSpecInput } from '../../../src/servers/spec.ts'
import { firstOn, isAlive, type Scenario, startScenario, waitUntil } from '../../helpers/lab-run.ts'
import { SPARES } from '../../../src/servers/models/spares.ts'
import { type Holdings, holdings } from './proc-probe.ts'

const HOLD_S = 0.5
/** '11 Hello world': a valid length-prefixed message for half-close, and half of one for reset. */
const WORDS = ['11', 'Hello', 'world']

/** Every model, and both sides of the options that change how it waits. */
const VARIANTS: Array<{ label: string; spec: ServerSpecInput }> = [
  { label: 'iterative', spec: { model: 'iterative' } },
  { label: 'fork', spec: { model: 'fork', reap: 'immediate' } },
  { label: 'thread', spec: { model: 'thread' } },
  { label: 'socketserver --mixin threading', spec: { model: 'socketserver', mixin: 'threading' } },
  { label: 'socketserver --mixin forking', spec: { model: 'socketserver', mixin: 'forking', reap: 'immediate' } },
  { label: 'select', spec: { model: 'select' } },
  { label: 'select --write-select', spec: { model: 'select', writeSelect: true } },
  { label: 'asyncio', spec: { model: 'asyncio' } },
  { label: 'reactor', spec: { model: 'reactor' } },
]

/**
 * The length-prefixed echo is the app every bad client is bad for: an idle or a reset
 * client mid-message, a half-closed one owed its echo, a line with no prefix, an HTTP
 * request, a large message never read.
 */
describe('every model survives every bad client', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  for (const { label, spec } of VARIANTS) {
    it(`${label}: keeps serving the others, ends each bad connection, leaks nothing`, async () => {
      scenario = await startScenario({ ...spec, app: 'length-prefixed', maxLength: 16 * 1024 * 1024 })
      const s = scenario
      // A fork or thread server keeps up to SPARES handlers started ahead (spares.ts), each
      // a child (with its IPC socket) or a thread the kernel lists while it waits, and tops
      // them up as connections take them: those are not left behind by a bad client.
      const spares = spec.model === 'fork' || spec.model === 'thread' || spec.model === 'socketserver' ? SPARES : 0
      const good = (count: number) => s.clients({ workload: 'length-prefixed', count, words: ['Hello', 'world'], chunk: 64, timeout: 20 })
      const echoed = (results: ClientResult[]) => results.map((r) => [r.error?.code, r.replies[0]])

      // One ordinary client first: threads, sockets and children it leaves behind are the
      // baseline, once its child is gone and the kernel's counts hold still.
      expect(echoed((await good(1)).results)).toEqual([[undefined, 'Hello world']])
      let baseline: Holdings | undefined
      let previous: Holdings | undefined
      const settledOnce = await waitUntil(() => {
        previous = baseline
        baseline = holdings(s.serverPid)
        return baseline.children.length <= spares && previous !== undefined && JSON.stringify(previous) === JSON.stringify(baseline)
      })
      expect({ settledOnce, baseline }).toMatchObject({ settledOnce: true })

      const bad = BAD_CLIENTS.map((workload) =>
        s.lab.runClients({ port: s.port, workload, count: 1, hold: HOLD_S, bytes: 1024 * 1024, words: WORDS, timeout: 20 }).then((run) => run.results),
      )
      // The others start once every bad client is connected (the warm-up client was the first).
      expect(await waitUntil(() => s.events.filter((e) => e.kind === 'connect').length >= 1 + BAD_CLIENTS.length)).toBe(true)
      const others = await good(2)
      const badResults = await Promise.all(bad)

      expect(echoed(others.results)).toEqual([
        [undefined, 'Hello world'],
        [undefined, 'Hello world'],
      ])
      // The server saw each bad connection end: a close (and an error where it broke). A bad
      // client is done when it has done its harm; the server's side may come much later (eight
      // Node children starting at once on a busy 2-core machine take seconds): so, a while.
      const badConns = badResults.map((results) => results[0]!.conn!)
      const closedByServer = (conn: string) => Boolean(firstOn(s.events, conn, 'close', 'server'))
      await waitUntil(() => badConns.every(closedByServer), 20_000)
      // (For one left open, what the server did report on it, to tell a hang from a lost report.)
      const report = (conn: string, i: number) =>
        closedByServer(conn)
          ? { workload: BAD_CLIENTS[i], closed: true }
          : { workload: BAD_CLIENTS[i], closed: false, serverSaw: s.events.filter((e) => e.src.role === 'server' && 'conn' in e && e.conn === conn).map((e) => e.kind) }
      expect(badConns.map(report)).toEqual(BAD_CLIENTS.map((workload) => ({ workload, closed: true })))
      expect(firstOn(s.events, badResults[BAD_CLIENTS.indexOf('garbage-prefix')]![0]!.conn!, 'error', 'server')).toMatchObject({ code: 'BAD_PREFIX' })

      // Nothing left behind: no extra thread, socket or child process in the server.
      const settled = await waitUntil(() => {
        const now = holdings(s.serverPid)
        return now.threads <= baseline!.threads + spares && now.sockets <= baseline!.sockets + spares && now.children.length <= spares
      }, 15_000)
      expect({ settled, now: holdings(s.serverPid), baseline }).toMatchObject({ settled: true })

      // And it still serves.
      expect(isAlive(s.serverPid)).toBe(true)
      expect(echoed((await good(1)).results)).toEqual([[undefined, 'Hello world']])
    }, 90_000)
  }
})
