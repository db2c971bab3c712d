import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import {
  AT_CLKTCK,
  AT_PAGESZ,
  commandLine,
  decodeAddress,
  endpoint,
  formatIpv6,
  parseAuxv,
  parseBootTime,
  parseChildren,
  parseCmdline,
  parseNetTcp,
  parseSocketLink,
  parseStat,
  parseStatus,
  parseTaskDir,
} from '../../../src/servers/os/proc-parse.ts'
import { connect, destroyAllSockets, killAll, poll, startPython } from './processes.ts'

// Every input here is read from the real /proc at test time, of this process or of
// processes the test starts; the expected values come from a second, independent source
// (Node's own process data, getconf, the test's own sockets).

const servers: net.Server[] = []
afterEach(() => {
  destroyAllSockets()
  for (const server of servers.splice(0)) server.close()
  killAll()
})

function listen(host: string): Promise<net.Server> {
  const server = net.createServer((socket) => socket.pause())
  servers.push(server)
  return new Promise((resolve) => server.listen(0, host, () => resolve(server)))
}

describe('/proc/PID/stat', () => {
  it("parses this process's line: pid, parent, running state, thread count", () => {
    const stat = parseStat(fs.readFileSync('/proc/self/stat', 'utf8'))
    expect(stat.pid).toBe(process.pid)
    expect(stat.ppid).toBe(process.ppid)
    // Reading its own stat, the process is on a CPU.
    expect(stat.state).toBe('R')
    expect(stat.threads).toBe(fs.readdirSync('/proc/self/task').length)
    expect(stat.rssPages).toBeGreaterThan(0)
    expect(stat.utimeTicks + stat.stimeTicks).toBeGreaterThan(0)
  })

  it("finds the fields after a name that holds spaces and ')'", async () => {
    // The name is the process's own choice (prctl PR_SET_NAME via /proc/self/comm), so a
    // parser that splits at the first ')' or at spaces misreads every field after it.
    const child = spawn('python3', ['-c', "open('/proc/self/comm','w').write('a) b (c'); import time; time.sleep(30)"], { stdio: 'ignore' })
    try {
      const stat = await poll(() => {
        const s = parseStat(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'))
        return s.comm === 'a) b (c' ? s : undefined
      }, 'the new name')
      expect(stat.pid).toBe(child.pid)
      expect(stat.ppid).toBe(process.pid)
      expect(stat.state).toBe('S')
      expect(stat.threads).toBe(1)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('/proc/PID/status', () => {
  it("parses this process's status", () => {
    const status = parseStatus(fs.readFileSync('/proc/self/status', 'utf8'))
    expect(status.tgid).toBe(process.pid)
    expect(status.ppid).toBe(process.ppid)
    expect(status.uid).toBe(process.getuid!())
    expect(status.state).toBe('R')
    expect(status.threads).toBe(fs.readdirSync('/proc/self/task').length)
    const rss = process.memoryUsage().rss
    expect(status.rssBytes).toBeGreaterThan(rss * 0.8)
    expect(status.rssBytes).toBeLessThan(rss * 1.2)
    expect(status.voluntarySwitches).toBeGreaterThan(0)
  })

  it("tells a thread from a process: a thread's Tgid is its process's pid", () => {
    const tids = parseTaskDir(fs.readdirSync('/proc/self/task')).filter((tid) => tid !== process.pid)
    expect(tids.length).toBeGreaterThan(0) // Node always runs helper threads
    const status = parseStatus(fs.readFileSync(`/proc/${tids[0]}/status`, 'utf8'))
    expect(status.tgid).toBe(process.pid)
  })
})

describe('/proc/PID/cmdline', () => {
  it('splits the arguments at NULs, keeping spaces and empty arguments', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'two words', ''], { stdio: 'ignore' })
    try {
      await once(child, 'spawn')
      const args = await poll(() => {
        const a = parseCmdline(fs.readFileSync(`/proc/${child.pid}/cmdline`))
        return a[0] === process.execPath ? a : undefined
      }, 'the exec')
      expect(args).toEqual([process.execPath, '-e', 'setTimeout(() => {}, 30000)', 'two words', ''])
      expect(commandLine(args, 'node', 'S')).toBe(`${process.execPath} -e setTimeout(() => {}, 30000) two words `)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it("is empty for a zombie, which ps shows as '[name] <defunct>'", async () => {
    const server = await startPython('fork_server_noreap.py')
    const socket = await connect(Number(server.firstLine))
    socket.end('x').resume()
    await once(socket, 'close')
    const zombie = await poll(() => {
      const [child] = parseChildren(fs.readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8'))
      if (child === undefined) return undefined
      const stat = parseStat(fs.readFileSync(`/proc/${child}/stat`, 'utf8'))
      return stat.state === 'Z' ? stat : undefined
    }, "the fork server's child to exit")
    expect(zombie.ppid).toBe(server.pid)
    const args = parseCmdline(fs.readFileSync(`/proc/${zombie.pid}/cmdline`))
    expect(args).toEqual([])
    expect(commandLine(args, zombie.comm, zombie.state)).toBe(`[${zombie.comm}] <defunct>`)
    expect(zombie.comm).toMatch(/^python/)
  })
})

describe('/proc/PID/task and children', () => {
  it('lists thread ids, the main thread first', () => {
    const tids = parseTaskDir(fs.readdirSync('/proc/self/task'))
    expect(tids[0]).toBe(process.pid)
    expect(tids).toEqual([...tids].sort((a, b) => a - b))
    expect(tids.length).toBe(parseStatus(fs.readFileSync('/proc/self/status', 'utf8')).threads)
  })

  it("lists a thread's children", async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      await once(child, 'spawn')
      const all = parseTaskDir(fs.readdirSync('/proc/self/task')).flatMap((tid) =>
        parseChildren(fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8')),
      )
      expect(all).toContain(child.pid)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('/proc/net/tcp{,6} and fd links', () => {
  it('decodes a listening socket, both ends of a connection, and their queues', async () => {
    const server = await listen('127.0.0.1')
    const port = (server.address() as net.AddressInfo).port
    const accepted = once(server, 'connection')
    const client = await connect(port)
    await accepted
    // The server side is paused: these bytes wait in its receive queue.
    client.write('x'.repeat(1000))
    const rows = await poll(() => {
      const r = parseNetTcp(fs.readFileSync('/proc/net/tcp', 'utf8'), 'tcp', os.endianness())
      return r.some((row) => row.localPort === port && row.rxQueue === 1000) ? r : undefined
    }, 'the bytes in the receive queue')
    const listener = rows.find((r) => r.localPort === port && r.state === 'LISTEN')!
    expect(listener).toMatchObject({ localAddress: '127.0.0.1', remoteAddress: '0.0.0.0', remotePort: 0, rxQueue: 0, uid: process.getuid!() })
    const serverSide = rows.find((r) => r.localPort === port && r.state === 'ESTABLISHED')!
    expect(serverSide).toMatchObject({ localAddress: '127.0.0.1', remotePort: client.localPort, rxQueue: 1000 })
    const clientSide = rows.find((r) => r.localPort === client.localPort && r.remotePort === port)!
    expect(clientSide).toMatchObject({ state: 'ESTABLISHED', remoteAddress: '127.0.0.1', txQueue: 0 })
    expect(endpoint(listener.remoteAddress, listener.remotePort)).toBe('*:*')

    // This process holds all three sockets: the fd links name their inodes.
    const inodes = fs
      .readdirSync('/proc/self/fd')
      .map((fd) => {
        try {
          return parseSocketLink(fs.readlinkSync(`/proc/self/fd/${fd}`))
        } catch {
          return null // the fd of readdir itself, closed by now
        }
      })
      .filter((inode) => inode !== null)
    for (const row of [listener, serverSide, clientSide]) expect(inodes).toContain(row.inode)
    expect(parseSocketLink('pipe:[123]')).toBeNull()
    expect(parseSocketLink('/dev/null')).toBeNull()
  })

  it('decodes IPv6 rows', async (context) => {
    let server: net.Server
    try {
      server = await listen('::1')
    } catch {
      return context.skip('no IPv6 loopback on this machine')
    }
    const port = (server.address() as net.AddressInfo).port
    const rows = parseNetTcp(fs.readFileSync('/proc/net/tcp6', 'utf8'), 'tcp6', os.endianness())
    const row = rows.find((r) => r.localPort === port)!
    expect(row).toMatchObject({ family: 'tcp6', localAddress: '::1', remoteAddress: '::', state: 'LISTEN' })
    expect(endpoint(row.localAddress, row.localPort)).toBe(`[::1]:${port}`)
  })

  it('formats addresses as Node and RFC 5952 do', () => {
    expect(decodeAddress('0100007F', 'LE')).toBe('127.0.0.1')
    expect(decodeAddress('7F000001', 'BE')).toBe('127.0.0.1')
    expect(decodeAddress('00000000000000000000000001000000', 'LE')).toBe('::1')
    expect(decodeAddress('0000000000000000FFFF00000100007F', 'LE')).toBe('::ffff:127.0.0.1')
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1')
    // A lone zero group stays; of two runs the longer is shortened.
    expect(formatIpv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])).toBe('2001:db8:0:1::1')
    expect(formatIpv6([0xfe, 0x80, ...Array(13).fill(0), 1])).toBe('fe80::1')
    // Node's own formatting of the same address agrees.
    expect(net.isIPv6(decodeAddress('00000000000000000000000001000000'))).toBe(true)
  })
})

describe('machine constants', () => {
  it("reads the page size and tick rate from auxv, as getconf does", () => {
    const auxv = parseAuxv(fs.readFileSync('/proc/self/auxv'), os.arch().includes('64') ? 8 : 4, os.endianness())
    expect(Number(auxv.get(AT_PAGESZ))).toBe(Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' })))
    expect(Number(auxv.get(AT_CLKTCK))).toBe(Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })))
  })

  it('reads the boot time that start times count from', () => {
    const btime = parseBootTime(fs.readFileSync('/proc/stat', 'utf8'))
    expect(Math.abs(btime - (Date.now() / 1000 - os.uptime()))).toBeLessThan(5)
  })
})
