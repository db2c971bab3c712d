import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { findProgram } from '../../../src/servers/programs/index.ts'
import { programPath } from '../../../src/servers/programs/node-source.ts'

/**
 * The Python ports are real programs: each runs as a server here and serves a real client
 * on 127.0.0.1 (the ports the seeds hard-code are replaced by free ones).
 */
const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL')
})

const hasTwisted = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import twisted'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** Two free consecutive ports (select over two ports binds port and port + 1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort()
    const next = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false))
      s.listen(port + 1, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (next) return port
  }
  throw new Error('no two consecutive free ports')
}

function run(id: string, args: (file: string) => [string, string[]], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const [cmd, argv] = args(programPath(findProgram(id).parts[0]!.file))
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  child.stdout!.resume()
  child.stderr!.resume()
  started.push(child)
  return child
}

/** Connect once the server listens (it is starting: refused until then), send, read until `expected` has come back, close. */
async function exchange(port: number, message: string, expected: string): Promise<{ reply: string; ms: number }> {
  const deadline = Date.now() + 15_000
  let socket: net.Socket | undefined
  while (!socket) {
    socket = await new Promise<net.Socket | undefined>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => resolve(s))
      s.once('error', () => resolve(undefined))
    })
    if (!socket) {
      if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const t0 = Date.now()
  socket.write(message)
  let reply = ''
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (d) => {
      reply += d.toString()
      if (reply.includes(expected)) resolve()
    })
    socket.once('error', reject)
    socket.once('close', () => resolve())
  })
  socket.end()
  return { reply, ms: Date.now() - t0 }
}

/** Debian's twistd3, by its module, under the python3 that has Twisted. */
const TWISTD = 'import sys; from twisted.scripts.twistd import run; sys.argv[0] = "twistd"; run()'

const python = (file: string, ...rest: string[]): [string, string[]] => ['python3', [file, ...rest]]

describe('the Python ports serve real clients', () => {
  it('seed 000: the naive server and ThreadingTCPServer echo', async () => {
    const [a, b] = [await freePort(), await freePort()]
    run('seed000-naive-server', (f) => python(f, String(a)))
    run('seed000-threading-tcpserver', (f) => python(f, String(b)))
    expect((await exchange(a, 'Hello', 'Hello')).reply).toBe('Hello')
    expect((await exchange(b, 'network', 'network')).reply).toBe('network')
  })

  it('seed 001: the selectors server and the asyncio server echo', async () => {
    const [a, b] = [await freePort(), await freePort()]
    run('seed001-multiconn-server', (f) => python(f, '127.0.0.1', String(a)))
    run('seed001-asyncio-server', (f) => python(f, '127.0.0.1', String(b), '0'))
    expect((await exchange(a, 'Message 1 from client.', 'client.')).reply).toBe('Message 1 from client.')
    expect((await exchange(b, 'world', 'world')).reply).toBe('world')
  })

  it('seed 002: the bank answers with the balance', async () => {
    const port = await freePort()
    run('seed002-bank', (f) => python(f, String(port)))
    expect((await exchange(port, 'jack:dp', '\r\n')).reply).toBe("jack's money: 1\r\n")
  })

  it('seed 003: select over two ports answers on both', async () => {
    const port = await freePortPair()
    run('seed003-select-two-ports', (f) => python(f, '127.0.0.1', String(port)))
    expect((await exchange(port, 'Sir', ' at ')).reply).toMatch(/^Echo=>Sir at /)
    expect((await exchange(port + 1, 'Lancelot', ' at ')).reply).toMatch(/^Echo=>Lancelot at /)
  })

  it('seed 003: the forking servers serve two clients at once, each after its child sleeps 5 s', async () => {
    const [a, b] = [await freePort(), await freePort()]
    run('seed003-fork-server', (f) => python(f, String(a)))
    run('seed003-fork-sigchld-ignore', (f) => python(f, String(b)))
    const replies = await Promise.all([exchange(a, 'Bruce', ' at '), exchange(a, 'Brian', ' at '), exchange(b, 'Robin', ' at ')])
    expect(replies.map((r) => r.reply.split(' at ')[0])).toEqual(['Echo=>Bruce', 'Echo=>Brian', 'Echo=>Robin'])
    // In parallel: the two clients of one server both waited one sleep, not one after the other.
    for (const r of replies) expect(r.ms).toBeGreaterThanOrEqual(4900)
    expect(Math.max(...replies.map((r) => r.ms))).toBeLessThan(9000)
  }, 20_000)

  it.skipIf(!hasTwisted)('seed 004: twistd runs the length-prefixed echo and closes after the body', async () => {
    const port = await freePort()
    // As the seed runs it: twistd -ny, in the foreground, without a pid file.
    run('seed004-twisted-reactor', (f) => ['/usr/bin/python3', ['-c', TWISTD, '-n', '--pidfile=', '-y', f]], { ECHO_PORT: String(port) })
    expect((await exchange(port, '5 hello', 'hello')).reply).toBe('hello')
  })

  it('c10k: threads and select both echo', async () => {
    const [a, b] = [await freePort(), await freePort()]
    run('c10k', (f) => python(f, 'threads', String(a)))
    run('c10k', (f) => python(f, 'select', String(b)))
    expect((await exchange(a, 'one', 'one')).reply).toBe('one')
    expect((await exchange(b, 'two', 'two')).reply).toBe('two')
  })
})
