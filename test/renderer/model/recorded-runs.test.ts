import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { recordedRuns } from '../../../src/renderer/model/recorded-runs.ts'
import { TraceModel } from '../../../src/renderer/model/trace-model.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { RunInfoSchema } from '../../../src/servers/web/protocol.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { cli, runCli } from '../../helpers/cli.ts'
import { client, ev, forkConnection, server } from '../events.ts'

/** The runs of a recording as RunInfo, so the lanes and the process table draw a recording with no lab runs. */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-runs-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const modelOf = (events: SockscopeEvent[]) => {
  const store = new EventStore()
  const model = new TraceModel(store)
  model.ingest(store.append([...events].sort((a, b) => a.t - b.t)))
  return { model, store }
}

let events: SockscopeEvent[] = []
let port = 0

/** A real fork run through the CLI: a server's trace and its clients', on one axis. */
beforeAll(async () => {
  const serverTrace = path.join(tmp, 'server.ndjson')
  const clientTrace = path.join(tmp, 'clients.ndjson')
  const serve = runCli(['serve', '--model', 'fork', '--app', 'echo-time', '--port', '0', '--delay', '0.1', '--trace', serverTrace])
  port = Number((await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/))[1])
  expect((await cli(['clients', '--port', String(port), '--count', '4', '--trace', clientTrace])).code).toBe(0)
  serve.child.kill('SIGINT')
  expect((await serve.exited).code).toBe(0)
  const [s, c] = [await readTrace(serverTrace), await readTrace(clientTrace)]
  const offset = Number(BigInt(c.header.originNs) - BigInt(s.header.originNs)) / 1000
  events = [...s.events, ...c.events.map((e) => ({ ...e, t: e.t + offset }))]
}, 30_000)

describe('recordedRuns', () => {
  it('a recorded fork run: the server from its listen, the client workload from its process, each over, first to last event', () => {
    const { model, store } = modelOf(events)
    const runs = recordedRuns(model, store.maxT)
    expect(runs.map((r) => [r.id, r.kind, r.state])).toEqual([
      ['s1', 'server', 'stopped'],
      ['c1', 'clients', 'finished'],
    ])
    for (const run of runs) expect(RunInfoSchema.safeParse(run).success, run.id).toBe(true)
    const [s1, c1] = runs as [(typeof runs)[0], (typeof runs)[0]]
    const listen = events.find((e) => e.kind === 'listen')!
    expect(s1).toMatchObject({ pid: listen.src.pid, spec: { model: 'fork', app: 'echo-time', port }, host: '127.0.0.1', ports: [port] })
    // Its events, the OS sampler's readings of its processes included (the last is often the server's exit, as the kernel saw
    // it); its socket tables, which come within its processes' lives, are not needed to bound it.
    const of = (run: string) => events.filter((e) => e.src.run === run && e.kind !== 'sockets').map((e) => e.t)
    expect(s1.startedAt).toBe(Math.min(...of('s1')))
    expect(s1.endedAt).toBe(Math.max(...of('s1')))
    const clientPid = events.find((e) => e.kind === 'connect')!.src.pid
    expect(c1).toMatchObject({ pid: clientPid, spec: { workload: '', count: 4, port } })
    expect(c1.startedAt).toBe(Math.min(...of('c1')))
    expect(c1.endedAt).toBe(Math.max(...of('c1')))
  })

  it('two servers and a workload of the later one; runs of unrelated groups keep their marked ids', () => {
    const { model, store } = modelOf([
      ev('listen', 10, server(100, 0, 's1'), { host: '127.0.0.1', port: 2, model: 'fork', app: 'echo' }),
      ...forkConnection('1>2', 1000, 501),
      ev('listen', 5, server(300, 0, 'B·s1'), { host: '127.0.0.1', port: 7, model: 'thread', app: 'bank' }),
      ev('listen', 6, server(300, 0, 'B·s1'), { host: '127.0.0.1', port: 8, model: 'thread', app: 'bank' }),
      ev('connect', 40, client(400, 'B·c1'), { conn: '9>7>B', local: '127.0.0.1:9', remote: '127.0.0.1:7', handshakeUs: 1 }),
    ])
    const runs = recordedRuns(model, store.maxT)
    expect(runs.map((r) => r.id)).toEqual(['B·s1', 's1', 'B·c1', 'c2'])
    expect(runs.find((r) => r.id === 'B·s1')).toMatchObject({ ports: [7, 8], spec: { model: 'thread', app: 'bank', port: 7 }, startedAt: 5, endedAt: 6 })
    expect(runs.find((r) => r.id === 'B·c1')).toMatchObject({ kind: 'clients', pid: 400, spec: { count: 1, port: 7 } })
    expect(runs.find((r) => r.id === 'c2')).toMatchObject({ kind: 'clients', pid: 200, spec: { count: 1, port: 2 } })
    // The server's span includes its children's events.
    expect(runs.find((r) => r.id === 's1')!.endedAt).toBe(Math.max(...forkConnection('1>2', 1000, 501).filter((e) => e.src.role === 'server').map((e) => e.t)))
    expect(recordedRuns(modelOf([]).model, 0)).toEqual([])
  })
})
