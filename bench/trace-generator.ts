/**
 * Large traces shaped exactly as the real models emit them, for benches and for tests of
 * opening big files: a select server (one thread, `sockscope serve --model select --app
 * echo`) under a stream of echo clients (`sockscope clients`), both sides in one file.
 * Each connection: the client's connect, the loop's wake-up on the listening socket, the
 * accept, the handler parked until readable (a task's block on recv) and the loop back in
 * select(); per message the client's send, a wake-up, the server's recv, unblock and echo,
 * the handler parked again, the client's recv of the echo; then the client's close, the
 * server's read of the EOF and its close. The OS sampler's readings of both processes come
 * once a second. Deterministic for a seed; events in time order; no Node APIs (the bench
 * page runs it in the browser).
 */
import type { EventSource, SockscopeEvent } from '../src/servers/events.ts'
import { TRACE_FORMAT, TRACE_VERSION } from '../src/servers/trace-lines.ts'

export interface TraceOptions {
  /** Events in all (exactly). Default 1,000,000. */
  events?: number
  /** Connections in all. Default 10,000. */
  connections?: number
  /** New connections a second. Default 500 (so about 20 s of trace). */
  ratePerSecond?: number
  seed?: number
  serverPort?: number
}

/** Fixed events per connection (client connect + close, the server's accept and close) and per message. */
const PER_CONNECTION = 10
const PER_MESSAGE = 8
const WORDS = ['Hello', 'network', 'world', 'select', 'ready', 'echo', 'socket', 'loop', 'Καλημέρα']

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The header line of a trace file (format v2), as the trace writer writes it once closed. */
export function traceHeader(command = 'bench generate-trace'): string {
  return JSON.stringify({ format: TRACE_FORMAT, version: TRACE_VERSION, createdAt: new Date(0).toISOString(), originNs: '1000000000000', command, ended: 'clean' })
}

interface Pending {
  t: number
  order: number
  make: () => SockscopeEvent
}

/** A binary heap of upcoming events by time (then by when they were scheduled). */
class Agenda {
  private readonly items: Pending[] = []
  get size(): number {
    return this.items.length
  }
  /** The earliest time waiting (the heap must not be empty). */
  peekT(): number {
    return this.items[0]!.t
  }
  push(p: Pending): void {
    const a = this.items
    a.push(p)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(a[i]!, a[parent]!)) break
      ;[a[i], a[parent]] = [a[parent]!, a[i]!]
      i = parent
    }
  }
  pop(): Pending | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length && last) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}
const before = (a: Pending, b: Pending) => a.t < b.t || (a.t === b.t && a.order < b.order)

/**
 * The trace's events in time order, one at a time (a million never need to be held at
 * once). Messages per connection vary (1 to 21) so that the total is exactly `events`.
 */
export function* generateTrace(options: TraceOptions = {}): Generator<SockscopeEvent> {
  const total = options.events ?? 1_000_000
  const connections = options.connections ?? 10_000
  const rate = options.ratePerSecond ?? 500
  const port = options.serverPort ?? 50007
  const rand = random(options.seed ?? 11)
  const server: EventSource = { role: 'server', run: 's1', pid: 4242, tid: 0 }
  const client: EventSource = { role: 'client', run: 'c2', pid: 4343, tid: 0 }
  const os = (run: string): EventSource => ({ role: 'os', run, pid: 4200, tid: 0 })
  const durationUs = (connections / rate) * 1e6 + 200_000
  // OS readings: both processes appear, then a usage reading of each every second.
  const osReadings = 2 + 2 * Math.floor(durationUs / 1e6)
  const messageEvents = total - 2 - connections * PER_CONNECTION - osReadings
  if (messageEvents < 0) throw new Error(`${total} events are too few for ${connections} connections`)
  const messages = Math.floor(messageEvents / PER_MESSAGE)
  // Whatever does not divide into messages goes to extra OS readings at the end.
  const extraReadings = messageEvents - messages * PER_MESSAGE

  // Messages per connection: about the mean, spread out, summing exactly to `messages`.
  const perConn = new Uint16Array(connections)
  const mean = messages / connections
  let assigned = 0
  for (let i = 0; i < connections; i++) {
    const left = messages - assigned
    const connsLeft = connections - i
    const want = Math.round(mean * (0.1 + 1.8 * rand()))
    const n = connsLeft === 1 ? left : Math.min(left, want)
    perConn[i] = n
    assigned += n
  }
  // Any shortfall (rounding kept some back): spread one more over the first connections.
  for (let i = 0; assigned < messages; i = (i + 1) % connections) {
    perConn[i]!++
    assigned++
  }

  const agenda = new Agenda()
  let order = 0
  const at = (t: number, make: () => SockscopeEvent) => agenda.push({ t, order: order++, make })
  let open = 0
  let clientPort = 30000
  const ev = (kind: string, t: number, src: EventSource, fields: object) => ({ kind, t, src, ...fields }) as unknown as SockscopeEvent
  const r3 = (n: number) => Math.round(n * 1000) / 1000

  at(1000, () => ev('listen', 1000, server, { host: '127.0.0.1', port, model: 'select', app: 'echo' }))
  at(1400, () => ev('block', 1400, server, { on: 'select', sockets: 1 }))
  const procOf = (t: number, change: string, pid: number, command: string, run: string) =>
    ev('proc', t, os(run), {
      change, pid, ppid: 4200, state: 'S', threads: 8, command, name: 'MainThread', threadIds: [pid, pid + 1, pid + 2], cpuMs: Math.round(t / 1e4),
      cpuPercent: r3(20 + 60 * rand()), rssBytes: 60_000_000 + Math.round(rand() * 1e7), startTime: 1_796_172_561_500,
    })
  const serverCmd = 'node --disable-warning=ExperimentalWarning server-host.ts'
  const clientCmd = 'node --disable-warning=ExperimentalWarning client-driver.ts'
  let readings = 0
  const reading = (t: number, change: string) => {
    const which = readings++ % 2
    at(t, () => procOf(t, change, which === 0 ? server.pid : client.pid, which === 0 ? serverCmd : clientCmd, which === 0 ? 's1' : 'c2'))
  }
  reading(12_000, 'appeared')
  reading(12_500, 'appeared')
  for (let s = 1; s <= Math.floor(durationUs / 1e6); s++) {
    reading(s * 1e6, 'usage')
    reading(s * 1e6 + 300, 'usage')
  }
  for (let i = 0; i < extraReadings; i++) reading(durationUs + 1000 + i * 10, 'usage')

  let wakeWaited = 0
  const connection = (i: number, start: number) => {
    const conn = `${clientPort++}>${port}`
    const local = `127.0.0.1:${clientPort - 1}`
    open++
    let t = start
    const step = (us: number) => (t = r3(t + us * (0.5 + rand())))
    const sockets = () => Math.min(open, 1024) + 1
    const handshakeUs = r3(200 + 800 * rand())
    at(t, () => ev('connect', start, client, { conn, local, remote: `127.0.0.1:${port}`, handshakeUs }))
    const tw = step(150)
    wakeWaited = r3(100 + 900 * rand())
    const waited = wakeWaited
    at(tw, () => ev('wakeup', tw, server, { readable: [`listen:${port}`], writable: [], waitedUs: waited }))
    const ta = step(20)
    const acceptWait = r3(50 + 300 * rand())
    at(ta, () => ev('accept', ta, server, { conn, remote: local, waitedUs: acceptWait }))
    const tb = step(40)
    at(tb, () => ev('block', tb, server, { conn, on: 'recv', waiter: 'task' }))
    const ts = step(8)
    const s0 = sockets()
    at(ts, () => ev('block', ts, server, { on: 'select', sockets: s0 }))
    let parkedAt = tb
    for (let m = 0; m < perConn[i]!; m++) {
      const word = WORDS[Math.floor(rand() * WORDS.length)]!
      const bytes = new TextEncoder().encode(word).length
      // The client thinks, then sends; the loop wakes, reads, echoes and parks the handler again.
      const tc = step(2000)
      at(tc, () => ev('send', tc, client, { conn, bytes, preview: word }))
      const tk = step(60)
      const w = r3(tk - ts)
      at(tk, () => ev('wakeup', tk, server, { readable: [conn], writable: [], waitedUs: w }))
      const tr = step(30)
      at(tr, () => ev('recv', tr, server, { conn, bytes, preview: word }))
      const tu = step(3)
      const blockedUs = r3(tu - parkedAt)
      at(tu, () => ev('unblock', tu, server, { conn, on: 'recv', blockedUs, waiter: 'task' }))
      const te = step(15)
      at(te, () => ev('send', te, server, { conn, bytes, preview: word }))
      const tp = step(30)
      parkedAt = tp
      at(tp, () => ev('block', tp, server, { conn, on: 'recv', waiter: 'task' }))
      const tq = step(6)
      const s1 = sockets()
      at(tq, () => ev('block', tq, server, { on: 'select', sockets: s1 }))
      const tr2 = step(120)
      at(tr2, () => ev('recv', tr2, client, { conn, bytes, preview: word }))
    }
    const tcl = step(1500)
    at(tcl, () => ev('close', tcl, client, { conn, by: 'local' }))
    const tk = step(60)
    const w = r3(tk - parkedAt)
    at(tk, () => ev('wakeup', tk, server, { readable: [conn], writable: [], waitedUs: w }))
    const tu = step(20)
    const blockedUs = r3(tu - parkedAt)
    at(tu, () => ev('unblock', tu, server, { conn, on: 'recv', blockedUs, waiter: 'task' }))
    const tx = step(30)
    at(tx, () => {
      open--
      return ev('close', tx, server, { conn, by: 'peer' })
    })
    const tz = step(6)
    at(tz, () => ev('block', tz, server, { on: 'select', sockets: sockets() }))
  }

  // Connections begin in arrival order; each is scheduled when the clock reaches its start.
  let next = 0
  const startOf = (i: number) => 20_000 + (i / rate) * 1e6 * (0.9 + 0.2 * rand())
  let nextStart = startOf(0)
  let emitted = 0
  while (agenda.size || next < connections) {
    while (next < connections && (agenda.size === 0 || nextStart <= agenda.peekT())) {
      connection(next++, r3(nextStart))
      nextStart = Math.max(nextStart, startOf(next))
    }
    const p = agenda.pop()!
    const e = p.make()
    // Times are stamped when made; keep them as scheduled (make() reads no clock).
    ;(e as { t: number }).t = p.t
    emitted++
    yield e
  }
  if (emitted !== total) throw new Error(`generated ${emitted} events, not ${total}`)
}
