import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { SEND_AHEAD_BYTES } from '../../../src/servers/models/bounds.ts'
import { delayedBurst, firstOn, ofKind, type Scenario, sideBySide, sleepIntervals, startScenario, waitUntil } from '../../helpers/lab-run.ts'
import { mainThreadWait, sendQueue } from './proc-probe.ts'

const DELAY_S = 0.4
/** How long the bad client holds on: long enough for the others' client process to start (up to 1 s on a busy machine) well inside it. */
const HOLD_S = 3
/** How long the loop must have looked stuck before the others come. */
const STUCK_MS = 400
/** Enough that a client which never reads fills its receive buffer and the server's send buffer (≈4 MB on loopback). */
const NO_READ_BYTES = 12 * 1024 * 1024
/** A send buffer this full takes no more: most of the kernel's largest (tcp_wmem's last field), less its bookkeeping. */
const SEND_BUFFER_FULL = 0.75 * Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2])

type Ev<K extends SockscopeEvent['kind']> = Extract<SockscopeEvent, { kind: K }>

describe('select model', () => {
  let scenario: Scenario | undefined
  afterEach(async () => scenario?.stop())

  it('listens on 2 consecutive ports in one loop and serves clients on both', async () => {
    scenario = await startScenario({ model: 'select', app: 'echo', ports: 2 })
    const s = scenario
    const ports = s.lab.listServers()[0]!.ports
    expect(ports).toHaveLength(2)
    expect(ports[1]).toBe(ports[0]! + 1)
    const [first, second] = await Promise.all(ports.map((port) => s.lab.runClients({ port, count: 3, words: ['a', 'b'] }).then((run) => run.results)))
    await s.stop()

    for (const results of [first!, second!]) expect(results.map((r) => r.replies.join())).toEqual(['a,b', 'a,b', 'a,b'])
    expect(ofKind(s.events, 'listen').map((e) => e.port)).toEqual(ports)
    const accepts = ofKind(s.events, 'accept')
    for (const port of ports) expect(accepts.filter((a) => a.conn.endsWith(`>${port}`))).toHaveLength(3)
    // One loop: every accept and every read on the server's main thread, in its one process.
    const serverSide = s.events.filter((e) => e.src.role === 'server' && e.kind !== 'listen')
    expect(new Set(serverSide.map((e) => `${e.src.pid}/${e.src.tid}`))).toEqual(new Set([`${s.serverPid}/0`]))
    // The loop woke up for both listening sockets.
    const readable = new Set(ofKind(s.events, 'wakeup').flatMap((w) => w.readable))
    for (const port of ports) expect(readable).toContain(`listen:${port}`)
  })

  it('--delay blocks the one thread: 4 clients take about 4 delays, against about 1 on the thread model', async () => {
    const spanOf = async (model: string) => {
      const burst = await delayedBurst(model, DELAY_S)
      expect(burst.results.every((r) => r.replies[0] === 'ping')).toBe(true)
      return burst
    }
    const thread = await spanOf('thread')
    const select = await spanOf('select')
    // The last client waited for all four sleeps, one after another.
    expect(select.spanMs).toBeGreaterThanOrEqual(4 * DELAY_S * 1000 * 0.95)
    // The sleeps run one after another on the loop's thread, never two at once.
    const sleeps = ofKind(select.events, 'block').filter((b) => b.on === 'sleep')
    const wakes = ofKind(select.events, 'unblock').filter((u) => u.on === 'sleep')
    expect(sleeps).toHaveLength(4)
    for (let k = 1; k < sleeps.length; k++) expect(sleeps[k]!.t).toBeGreaterThanOrEqual(wakes[k - 1]!.t)
    expect(sideBySide(sleepIntervals(select.events)).ratio).toBeGreaterThanOrEqual(1)
    // On the thread model they overlap, each on its own thread: from the first to the last
    // they take about one delay, not four. Thread start-ups spread the four starts (by up to
    // some 250 ms on a busy 2-core machine); under 2/3 of end to end allows 650 ms of that.
    const threadSleeps = sleepIntervals(thread.events)
    expect(threadSleeps).toHaveLength(4)
    expect(sideBySide(threadSleeps).ratio).toBeLessThan(2 / 3)
  })

  /** A client that never reads, then 3 ordinary clients once the server is stuck with it (or buffering for it): what do they cost? */
  const withNoReadClient = async (writeSelect: boolean) => {
    const run = await startScenario({ model: 'select', app: 'echo', writeSelect })
    scenario = run
    // The loop, idle, waits in epoll; a kernel that names no waits leaves us the send queue alone.
    const namesWaits = Boolean(mainThreadWait(run.serverPid))
    const noRead = run.lab.runClients({ port: run.port, workload: 'no-read', count: 1, bytes: NO_READ_BYTES, hold: HOLD_S }).then((r) => r.results)
    const bad = ((await run.waitFor((e) => e.kind === 'connect' && e.src.role === 'client')) as Ev<'connect'>).conn
    const readFromBad = () => ofKind(run.events, 'recv', 'server').filter((e) => e.conn === bad).reduce((n, e) => n + e.bytes, 0)
    // The others come once the server's send buffer toward the bad client is full and the
    // loop is stuck in its send (with --write-select: back in select(), the rest buffered),
    // as the kernel says. The server cannot say it itself: its channel to the lab is full
    // of the bad client's thousands of reads until the send returns. The buffers grow for a
    // while first, a GC pause looks like a wait too, and a first stall can end some 200 ms in
    // (a zero-window probe, at TCP's minimum RTO, finds a little more room) with one more turn
    // of the loop: so full, the same over several looks, in the right wait, for STUCK_MS.
    const [clientPort, serverPort] = bad.split('>').map(Number) as [number, number]
    const waiting = writeSelect ? /epoll/ : /futex/
    let queued: number[] = []
    let stuckSince: number | undefined
    const stuck = () => {
      queued = [...queued.slice(-3), sendQueue(serverPort, clientPort) ?? 0]
      const full = queued.length === 4 && queued[0]! >= SEND_BUFFER_FULL && queued.every((q) => q === queued[0])
      const wait = namesWaits ? (mainThreadWait(run.serverPid) ?? '') : undefined
      // (A thread stuck in a send retries it every few ms: between its waits it runs.)
      const backInSelect = !writeSelect && wait !== undefined && /epoll/.test(wait)
      stuckSince = full && !backInSelect ? (stuckSince ?? Date.now()) : undefined
      return stuckSince !== undefined && Date.now() - stuckSince >= STUCK_MS && (wait === undefined || waiting.test(wait))
    }
    expect(await waitUntil(stuck, 5000)).toBe(true)
    const othersFrom = run.lab.clock.nowUs()
    const others = await run.clients({ count: 3, words: ['x', 'y'], timeout: 10 })
    await noRead
    // The server's word on the bad connection's end comes after thousands of its reads.
    await run.waitFor((e) => e.kind === 'close' && e.src.role === 'server' && e.conn === bad, 15_000)
    await run.stop()
    expect(others.results.map((r) => r.replies.join())).toEqual(['x,y', 'x,y', 'x,y'])
    const goodConns = others.results.map((r) => r.conn!)
    return { ...others, bad, goodConns, othersFrom, readFromBad, events: run.events }
  }

  it('without --write-select, a client that does not read stalls the whole loop in send; with it, the others are served at once', async () => {
    const naive = await withNoReadClient(false)
    const buffered = await withNoReadClient(true)

    // Naive: the loop sat in one send to the bad client until it left (reset after HOLD_S)...
    const stall = ofKind(naive.events, 'unblock').filter((u) => u.on === 'send' && u.conn === naive.bad).at(-1)!
    expect(stall).toBeDefined()
    const stalledFrom = stall.t - stall.blockedUs
    expect(stalledFrom).toBeLessThan(naive.othersFrom)
    // ...not waking up once meanwhile, so the others were not even accepted before it ended.
    expect(ofKind(naive.events, 'wakeup').filter((w) => w.t > stalledFrom && w.t < stall.t)).toHaveLength(0)
    for (const conn of naive.goodConns) expect(firstOn(naive.events, conn, 'accept', 'server')!.t).toBeGreaterThanOrEqual(stall.t)
    // What that cost them: from their connect() to the end of the stall, at least.
    const othersConnected = Math.min(...naive.goodConns.map((conn) => firstOn(naive.events, conn, 'connect', 'client')!.t))
    expect(naive.spanMs).toBeGreaterThan((0.9 * (stall.t - othersConnected)) / 1000)
    // The bad client's connection ends in an error (its reset), and the loop goes on.
    expect(firstOn(naive.events, naive.bad, 'error', 'server')).toMatchObject({ code: 'CONNECTION_RESET' })
    expect(firstOn(naive.events, naive.bad, 'close', 'server')).toMatchObject({ by: 'error' })

    // Write-select: the loop never blocked on send (only the bad client's handler waits for
    // it to drain its output buffer), and the others did not wait for the bad one: each was
    // served and closed while the bad client still held its connection.
    const sendBlocks = ofKind(buffered.events, 'block').filter((b) => b.on === 'send')
    expect(sendBlocks.length).toBeGreaterThan(0)
    for (const block of sendBlocks) expect(block).toMatchObject({ conn: buffered.bad, waiter: 'task', cause: 'peer-not-reading' })
    const badLeft = firstOn(buffered.events, buffered.bad, 'close', 'client')!
    for (const conn of buffered.goodConns) expect(firstOn(buffered.events, conn, 'close', 'server')!.t).toBeLessThan(badLeft.t)
    expect(naive.spanMs / buffered.spanMs).toBeGreaterThan(3)
    // What the client would not take stayed in the output buffer, up to its bound; the rest
    // of what the client sent stayed in the kernel, unread.
    const sent = ofKind(buffered.events, 'send', 'server').filter((e) => e.conn === buffered.bad).reduce((n, e) => n + e.bytes, 0)
    expect(buffered.readFromBad()).toBeLessThan(NO_READ_BYTES)
    expect(buffered.readFromBad() - sent).toBeLessThanOrEqual(SEND_AHEAD_BYTES + 1024)
    expect(firstOn(buffered.events, buffered.bad, 'close', 'server')).toBeDefined()
  })
})
