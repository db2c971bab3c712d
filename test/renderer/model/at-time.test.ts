import { describe, expect, it } from 'vitest'
import { OsHistory, processAt, runAt, threadAt } from '../../../src/renderer/model/at-time.ts'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { processRows } from '../../../src/renderer/model/process-table.ts'
import { TraceModel } from '../../../src/renderer/model/trace-model.ts'
import type { RunInfo } from '../../../src/servers/web/protocol.ts'
import { ev, forkConnection, procEvent, server } from '../events.ts'

const serverRun: RunInfo = { id: 's1', kind: 'server', pid: 100, state: 'stopped', spec: { model: 'fork', reap: 'on-accept' }, startedAt: 0, endedAt: 20e6, ports: [2] } as RunInfo

function recorded() {
  const store = new EventStore()
  const model = new TraceModel(store)
  const events = [ev('listen', 0, server(), { host: '127.0.0.1', port: 2, model: 'fork', app: 'echo-time' }), ...forkConnection('1>2', 1e6, 501)]
  events.push(ev('reap', 9e6, server(100), { conn: '1>2', childPid: 501, policy: 'on-accept', trigger: 'accept', modelled: true }))
  model.ingest(store.append(events))
  return { store, model }
}

const tableAt = (model: TraceModel, t: number) => {
  const threads = model.threads()
  return processRows({
    labPid: null,
    host: 'web',
    runs: [serverRun].flatMap((r) => runAt(r, t) ?? []),
    processes: model.processes().flatMap((p) => processAt(p, t, threads) ?? []),
    threads: threads.flatMap((th) => threadAt(th, t) ?? []),
    connIndex: new Map([['1>2', 1]]),
  })
}

describe('the process table at an instant', () => {
  it('has the child sleeping while it serves, a zombie after it exited, reaped after the reap', () => {
    const { model } = recorded()
    const child = (t: number) => tableAt(model, t).find((r) => r.kind === 'child')
    expect(child(0.5e6)).toBeUndefined()
    expect(child(3e6)).toMatchObject({ state: 'sleeping', detail: 'on sleep' })
    expect(child(7e6)).toMatchObject({ state: 'zombie' })
    expect(child(10e6)).toMatchObject({ state: 'reaped', detail: 'on accept' })
    // The server runs until it stopped, and after that it has.
    expect(tableAt(model, 3e6).find((r) => r.kind === 'server')?.state).not.toBe('exited')
    expect(tableAt(model, 21e6).find((r) => r.kind === 'server')?.state).toBe('exited')
    expect(tableAt(model, -1).find((r) => r.kind === 'server')).toBeUndefined()
  })

  it('is the same going back as it was going forward', () => {
    const { model } = recorded()
    const forward = [2e6, 7e6, 10e6].map((t) => tableAt(model, t))
    const back = [10e6, 7e6, 2e6].map((t) => tableAt(model, t)).reverse()
    expect(back).toEqual(forward)
  })
})

describe('the OS view at an instant', () => {
  it('is the last reading of each process at or before it', () => {
    const store = new EventStore()
    store.append([procEvent(1e6, 'appeared', 501, 100, 'S'), procEvent(2e6, 'changed', 501, 100, 'Z'), procEvent(3e6, 'gone', 501, 100, 'Z')])
    const history = new OsHistory(store)
    expect(history.at(0.5e6).get(501)).toBeUndefined()
    expect(history.at(1.5e6).get(501)?.latest.state).toBe('S')
    expect(history.at(2.5e6).get(501)?.latest.state).toBe('Z')
    expect(history.at(3.5e6).get(501)?.goneT).toBe(3e6)
    expect(history.at(1.5e6).get(501)?.latest.state).toBe('S')
  })
})

describe('the accept queue and shared values at an instant', () => {
  it('counts the connections waiting to be accepted, and takes the last write of a shared value', async () => {
    const { acceptQueueAt, StateHistory } = await import('../../../src/renderer/model/at-time.ts')
    const store = new EventStore()
    const model = new TraceModel(store)
    const s = server()
    const events = [
      ev('listen', 0, s, { host: '127.0.0.1', port: 2, model: 'iterative', app: 'bank' }),
      ...[1, 3].map((p) => ev('connect', 1e6, { role: 'client', run: 'c2', pid: 200, tid: 0 }, { conn: `${p}>2` })),
      ev('accept', 2e6, s, { conn: '1>2', remote: '127.0.0.1:1' }),
      ev('accept', 4e6, s, { conn: '3>2', remote: '127.0.0.1:3' }),
      ev('state', 2.5e6, s, { conn: '1>2', access: 'write', key: 'balance', value: 90, memory: 'process' }),
      ev('state', 4.5e6, s, { conn: '3>2', access: 'write', key: 'balance', value: 80, memory: 'process' }),
      ev('state', 4.6e6, server(501), { conn: '3>2', access: 'write', key: 'balance', value: 1, memory: 'copy' }),
    ]
    model.ingest(store.append(events))
    const conns = model.connections()
    expect(acceptQueueAt(conns, 0.5e6).get('s1')).toBeUndefined()
    expect(acceptQueueAt(conns, 1.5e6).get('s1')).toBe(2)
    expect(acceptQueueAt(conns, 3e6).get('s1')).toBe(1)
    expect(acceptQueueAt(conns, 5e6).get('s1')).toBeUndefined()
    const history = new StateHistory(store)
    expect(history.at(2e6)).toEqual([])
    expect(history.at(3e6).map((v) => v.value)).toEqual([90])
    expect(history.at(5e6).map((v) => v.value)).toEqual([80])
    expect(history.at(3e6).map((v) => v.value)).toEqual([90])
  })
})

describe('the OS view of a growing store', () => {
  it('takes readings as they arrive, and a late batch from before the last one too', () => {
    const store = new EventStore()
    const history = new OsHistory(store)
    store.append([procEvent(1e6, 'appeared', 501, 100, 'S')])
    expect(history.at(5e6).get(501)?.latest.state).toBe('S')
    store.append([procEvent(3e6, 'changed', 501, 100, 'Z')])
    expect(history.at(5e6).get(501)?.latest.state).toBe('Z')
    // Arrives last, happened before the Z reading: the view at 2.5 s has it, the one at 5 s still ends in Z.
    store.append([procEvent(2e6, 'changed', 501, 100, 'R')])
    expect(history.at(2.5e6).get(501)?.latest.state).toBe('R')
    expect(history.at(5e6).get(501)?.latest.state).toBe('Z')
  })
})
