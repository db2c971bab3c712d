import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { LinuxProcSource } from '../../../src/servers/os/linux.ts'
import { selectTrees } from '../../../src/servers/os/tree.ts'
import { PS_COLUMNS, parseCpuTime, parseLsof, parsePs } from '../../../src/servers/os/unix-ps.ts'
import { connect, destroyAllSockets, killAll, poll, startPython } from './processes.ts'

// The ps + lsof source is for macOS and the BSDs. Linux's procps and lsof take the same
// options, so its parsers are tested here on their real output, against /proc's readings.

const has = (tool: string) => {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

afterEach(() => {
  destroyAllSockets()
  killAll()
})

describe('ps source parsers on real ps output', () => {
  it('reads the same tree, states and start times as /proc', async () => {
    const server = await startPython('fork_server_noreap.py')
    const socket = await connect(Number(server.firstLine))
    socket.end('x').resume()
    await once(socket, 'close')
    const proc = new LinuxProcSource()
    const fromProc = await poll(async () => {
      const tree = await proc.read([server.pid], new Map(), { sockets: false })
      return tree.length === 2 && tree[1]!.state === 'Z' ? tree : undefined
    }, 'a zombie child')

    const all = parsePs(execFileSync('ps', ['-ww', '-A', '-o', PS_COLUMNS], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }))
    const fromPs = selectTrees(all, [server.pid], new Map())
    expect(fromPs.map((p) => [p.pid, p.ppid, p.state])).toEqual(fromProc.map((p) => [p.pid, p.ppid, p.state]))
    expect(fromPs[0]!.command).toBe(fromProc[0]!.command)
    expect(fromPs[1]!.command).toMatch(/<defunct>$/)
    expect(fromPs[0]!.uid).toBe(process.getuid!())
    // lstart has whole seconds; /proc has ticks.
    expect(Math.abs(fromPs[0]!.startTime! - fromProc[0]!.startTime!)).toBeLessThan(1500)
    expect(fromPs[0]!.rssBytes).toBeGreaterThan(0)

    // A start time that no longer matches means another process: not followed.
    expect(selectTrees(all, [], new Map([[server.pid, fromPs[0]!.startTime! + 5000]]))).toEqual([])
    expect(selectTrees(all, [], new Map([[server.pid, fromPs[0]!.startTime]])).map((p) => p.pid)).toEqual([server.pid, fromPs[1]!.pid])
  })

  it('reads CPU time in both the Linux and the macOS format', async () => {
    expect(parseCpuTime('00:00:00')).toBe(0)
    expect(parseCpuTime('01:02:03')).toBe(3723_000)
    expect(parseCpuTime('2-00:00:01')).toBe(172_801_000)
    expect(parseCpuTime('1:02.50')).toBe(62_500) // macOS: m:ss.cc
    expect(parseCpuTime('garbage')).toBeNull()
    // And on this process, ps (whole seconds) and /proc agree.
    const self = parsePs(execFileSync('ps', ['-o', PS_COLUMNS, '-p', String(process.pid)], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }))[0]!
    const [fromProc] = await new LinuxProcSource().read([process.pid], new Map(), { sockets: false })
    expect(Math.abs(self.cpuMs! - fromProc!.cpuMs!)).toBeLessThan(1500)
  })
})

describe.skipIf(!has('lsof'))('lsof parser on real lsof output', () => {
  it("finds this process's listening and connected sockets with their queues", async () => {
    const server = net.createServer((s) => s.pause())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as net.AddressInfo).port
      const accepted = once(server, 'connection')
      const client = await connect(port)
      await accepted
      client.write('hello')
      const mine = await poll(() => {
        const out = execFileSync('lsof', ['-nP', '-a', '-iTCP', '-p', String(process.pid), '-F', 'pftnT', '-Tqs'], { encoding: 'utf8' })
        const sockets = parseLsof(out).get(process.pid) ?? []
        return sockets.some((s) => s.rxQueue === 5) ? sockets : undefined
      }, 'the bytes in the receive queue')
      expect(mine).toContainEqual(expect.objectContaining({ family: 'tcp', local: `127.0.0.1:${port}`, state: 'LISTEN', acceptQueue: 0 }))
      expect(mine).toContainEqual(
        expect.objectContaining({ local: `127.0.0.1:${port}`, remote: `127.0.0.1:${client.localPort}`, state: 'ESTABLISHED', rxQueue: 5, acceptQueue: null }),
      )
      // The fds agree with /proc's.
      const [fromProc] = await new LinuxProcSource().read([process.pid], new Map(), { sockets: true })
      const listenFd = fromProc!.sockets!.find((s) => s.local === `127.0.0.1:${port}` && s.state === 'LISTEN')!.fd
      expect(mine.find((s) => s.state === 'LISTEN' && s.local === `127.0.0.1:${port}`)!.fd).toBe(listenFd)
    } finally {
      server.close()
    }
  })
})
