import { describe, expect, it } from 'vitest'
import { connectHost, formatBytes, formatCpu, letterTitle, listeningPorts, osCell, osProcessTrack, OsTable, osTableOf, socketRows } from '../../../src/renderer/model/os-view.ts'
import { osSocket, procEvent, socketsEvent } from '../events.ts'

const proc = procEvent
const sock = osSocket
const sockets = socketsEvent

describe('OsTable', () => {
  it('keeps the latest reading per pid, when it turned zombie, and when it went', () => {
    const table = osTableOf([
      proc(0, 'appeared', 10, 1, 'S'),
      proc(100, 'appeared', 11, 10, 'S'),
      proc(200, 'changed', 11, 10, 'Z'),
      proc(300, 'changed', 11, 10, 'Z', { threads: 1 }),
      proc(400, 'gone', 11, 10, 'Z'),
    ])
    const child = table.get(11)!
    expect(child).toMatchObject({ pid: 11, ppid: 10, run: 'o3', firstT: 100, zombieT: 200, goneT: 400 })
    expect(child.latest.change).toBe('gone')
    expect(table.get(10)).toMatchObject({ zombieT: null, goneT: null })
    expect(osCell(child)).toEqual({ letter: null, gone: true, threads: null, cpuPercent: null, rssBytes: null })
    expect(osCell(table.get(10))).toMatchObject({ letter: 'S', gone: false, threads: 1, cpuPercent: 0.5, rssBytes: 9_400_000 })
  })

  it('treats a pid that appears again after it went as another process', () => {
    const table = osTableOf([proc(0, 'appeared', 12, 10, 'S'), proc(50, 'gone', 12, 10, 'S'), proc(90, 'appeared', 12, 10, 'R', { startTime: 5 }, 's1')])
    expect(table.get(12)).toMatchObject({ run: 's1', firstT: 90, goneT: null, zombieT: null })
    expect(table.ofRun('o3')).toEqual([])
  })

  it('keeps the latest socket table per pid and drops it when the process goes', () => {
    const table = new OsTable()
    table.apply(proc(0, 'appeared', 10, 1, 'S'))
    table.apply(sockets(0, 10, [sock('127.0.0.1:5000', '0.0.0.0:0', 'LISTEN')]))
    table.apply(sockets(10, 10, [sock('127.0.0.1:5000', '0.0.0.0:0', 'LISTEN', { acceptQueue: 2 })]))
    expect(table.sockets.get(10)!.sockets![0]!.acceptQueue).toBe(2)
    table.apply(proc(20, 'gone', 10, 1, 'S'))
    expect(table.sockets.has(10)).toBe(false)
  })

  it('prune() forgets what is gone and keeps what the kernel still lists (a cleared timeline)', () => {
    const table = osTableOf([proc(0, 'appeared', 10, 1, 'S'), proc(1, 'appeared', 11, 10, 'S'), proc(2, 'gone', 11, 10, 'Z'), sockets(0, 10, [])])
    table.prune()
    expect([...table.procs.keys()]).toEqual([10])
    expect(table.sockets.has(10)).toBe(true)
    table.clear()
    expect(table.size).toBe(0)
  })
})

describe('socketRows', () => {
  const table = osTableOf([
    proc(0, 'appeared', 10, 1, 'S'),
    proc(1, 'appeared', 11, 10, 'S'),
    proc(2, 'appeared', 12, 10, 'Z'),
    sockets(1, 11, [sock('127.0.0.1:5000', '127.0.0.1:40000', 'ESTABLISHED', { rxQueue: 5, fd: 4 })]),
    sockets(0, 10, [sock('127.0.0.1:5000', '0.0.0.0:0', 'LISTEN', { rxQueue: 3, acceptQueue: 3 }), sock('127.0.0.1:5000', '127.0.0.1:40002', 'CLOSE_WAIT', { fd: 5 })]),
  ])

  it('lists a tree’s sockets like ss: LISTEN first with its accept queue, then by state and process', () => {
    const view = socketRows(table.ofRun('o3'), table.sockets)
    expect(view.rows.map((r) => [r.pid, r.state, r.local, r.remote, r.rxQueue, r.acceptQueue])).toEqual([
      [10, 'LISTEN', '127.0.0.1:5000', '*:*', 3, 3],
      [11, 'ESTABLISHED', '127.0.0.1:5000', '127.0.0.1:40000', 5, null],
      [10, 'CLOSE_WAIT', '127.0.0.1:5000', '127.0.0.1:40002', 0, null],
    ])
    expect(view.unreadable).toEqual([])
  })

  it('says which tables it could not read, and finds the ports to connect to', () => {
    const other = osTableOf([proc(0, 'appeared', 20, 1, 'S'), sockets(0, 20, null), proc(0, 'appeared', 21, 1, 'S'), sockets(0, 21, [sock('0.0.0.0:8080', '0.0.0.0:0', 'LISTEN'), sock('[::]:8443', '[::]:0', 'LISTEN', { family: 'tcp6' })])])
    expect(socketRows(other.ofRun('o3'), other.sockets).unreadable).toEqual([20])
    expect(listeningPorts(other.ofRun('o3'), other.sockets)).toEqual([{ host: '127.0.0.1', port: 8080 }, { host: '::1', port: 8443 }])
    expect(listeningPorts(table.ofRun('o3'), table.sockets)).toEqual([{ host: '127.0.0.1', port: 5000 }])
    expect(connectHost('[::1]:80')).toBe('::1')
  })
})

describe('formatting', () => {
  it('formats memory, CPU and the letters’ legend', () => {
    expect([formatBytes(812_000), formatBytes(9_400_000), formatBytes(48_200_000), formatBytes(null)]).toEqual(['812 kB', '9.4 MB', '48 MB', ''])
    expect([formatCpu(0), formatCpu(0.44), formatCpu(37.2), formatCpu(null)]).toEqual(['0%', '0.4%', '37%', ''])
    expect(letterTitle('Z')).toMatch(/^Z: zombie: exited/)
    expect(letterTitle(null)).toContain('D  uninterruptible')
  })
})

describe('osProcessTrack', () => {
  it('draws a process known from the OS: alive, then a zombie from the sample that saw Z, until it went', () => {
    const table = osTableOf([proc(100, 'appeared', 11, 10, 'S'), proc(300, 'changed', 11, 10, 'Z'), proc(900, 'gone', 11, 10, 'Z'), proc(100, 'appeared', 12, 10, 'S'), proc(500, 'gone', 12, 10, 'S')])
    const zombie = osProcessTrack(table.get(11)!)
    expect(zombie.phases.map((p) => [p.kind, p.start, p.end])).toEqual([
      ['alive', 100, 300],
      ['zombie', 300, 900],
    ])
    expect(zombie.marks.map((m) => [m.kind, m.t, m.seq])).toEqual([
      ['exit', 300, -1],
      ['reap', 900, -1],
    ])
    expect(zombie).toMatchObject({ pid: 11, ppid: 10, run: 'o3', exitT: 300, reapT: 900 })
    const ended = osProcessTrack(table.get(12)!)
    expect(ended.phases.map((p) => [p.kind, p.start, p.end])).toEqual([['alive', 100, 500]])
    expect(ended.marks.map((m) => m.kind)).toEqual(['exit'])
  })
})
