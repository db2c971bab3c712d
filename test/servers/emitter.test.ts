import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connId } from '../../src/servers/connection-id.ts'
import { BACKLOG_CODE } from '../../src/servers/emitter.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import { ofKind, startScenario, type Scenario } from '../helpers/lab-run.ts'

const CONNECTIONS = 20
const fixture = path.join(import.meta.dirname, '../fixtures/lab/pingpong-client.ts')

/** A ping-pong load in its own process, running once each client has had its first reply. */
async function startLoad(scenario: Scenario): Promise<ChildProcess> {
  const load = spawn(process.execPath, [fixture, String(scenario.port), String(CONNECTIONS)], { stdio: ['ignore', 'pipe', 'pipe'] })
  await once(load.stderr!, 'data')
  await scenario.waitFor((e) => e.kind === 'send' && e.src.role === 'server')
  return load
}

/** Stop the load; what each of its clients sent and received, by connection id. */
async function stopLoad(load: ChildProcess, serverPort: number): Promise<Map<string, { sent: number; received: number }>> {
  let out = ''
  load.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const exited = once(load, 'exit')
  load.kill('SIGTERM')
  await exited
  const counts = JSON.parse(out) as Record<string, { sent: number; received: number }>
  return new Map(Object.entries(counts).map(([port, c]) => [connId(Number(port), serverPort), c]))
}

/** Stall this thread (the lab's), as a long GC pause or a busy page would: nothing it runs reads its children's channels. */
function stallLab(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

function bytesOn(events: readonly SockscopeEvent[], kind: 'recv' | 'send') {
  const total = new Map<string, number>()
  for (const e of ofKind(events, kind, 'server')) total.set(e.conn, (total.get(e.conn) ?? 0) + e.bytes)
  return total
}

/** Every byte a client received, the server recorded sending; and it sent only what it had recorded receiving (echo). */
function expectEveryByteRecorded(events: readonly SockscopeEvent[], clients: Map<string, { sent: number; received: number }>): void {
  const sent = bytesOn(events, 'send')
  const received = bytesOn(events, 'recv')
  expect(clients.size).toBe(CONNECTIONS)
  for (const [conn, client] of clients) {
    expect(client.received, conn).toBeGreaterThan(0)
    expect(sent.get(conn) ?? 0, conn).toBeGreaterThanOrEqual(client.received)
    expect(received.get(conn) ?? 0, conn).toBeGreaterThanOrEqual(sent.get(conn) ?? 0)
  }
}

describe('the event channel from a server to the lab', () => {
  let scenario: Scenario | undefined
  let load: ChildProcess | undefined
  afterEach(async () => {
    load?.kill('SIGKILL')
    await scenario?.stop()
  })

  it('is bounded: a lab that falls behind holds the handlers at the gate, says so, and still gets every event', async () => {
    scenario = await startScenario({ model: 'select', app: 'echo' })
    load = await startLoad(scenario)
    stallLab(3000)
    const isNotice = (e: SockscopeEvent) => e.kind === 'error' && e.code === BACKLOG_CODE && e.src.pid === scenario!.serverPid
    const drained = await scenario.waitFor((e) => isNotice(e) && e.kind === 'error' && e.message.includes('drained'), 20_000)
    const clients = await stopLoad(load, scenario.port)
    load = undefined
    await scenario.stop()
    const { events } = scenario
    const notices = events.filter(isNotice)
    const full = notices.find((e) => e.kind === 'error' && e.message.includes('is full'))!
    expect(full).toBeDefined()
    expect(full.t).toBeLessThan(drained.t)
    // While the gate was shut the handlers read nothing: at most what was under way (a
    // recv each, its echo, the loop's own wake-ups), not the load's pace.
    const whileHeld = events.filter((e) => e.src.pid === scenario!.serverPid && e.t > full.t && e.t < drained.t && e.kind === 'recv')
    expect(whileHeld.length).toBeLessThanOrEqual(CONNECTIONS)
    expectEveryByteRecorded(events, clients)
    // Each process's events still in the order it stamped them.
    const own = events.filter((e) => e.src.pid === scenario!.serverPid).map((e) => e.t)
    expect(own).toEqual([...own].sort((a, b) => a - b))
  }, 60_000)

  it('a busy server stopped with its batches still in flight records every event up to its end', async () => {
    scenario = await startScenario({ model: 'select', app: 'echo' })
    load = await startLoad(scenario)
    // A backlog behind the lab at the moment it stops the server.
    stallLab(1500)
    await scenario.stop()
    const clients = await stopLoad(load, scenario.port)
    load = undefined
    expectEveryByteRecorded(scenario.events, clients)
  }, 60_000)
})
