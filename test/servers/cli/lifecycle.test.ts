import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createProcessSource } from '../../../src/servers/os/index.ts'
import type { ProcessInfo } from '../../../src/servers/os/types.ts'
import { buildStatus, RENDERER_OUTPUTS, runBuild } from '../../../src/servers/web/artifacts.ts'
import { API_PATH } from '../../../src/servers/web/protocol.ts'
import { isAlive, waitUntil } from '../../helpers/lab-run.ts'
import { noServerLeftOn } from '../../helpers/ports.ts'

/**
 * Nothing outlives a stop, whatever wraps the lab. Each case starts the CLI as a user or
 * a script does, `npx sockscope …` in its own process group (npm exec → sh -c → the lab
 * → its server host or client driver → forked handlers), sends one signal by one route,
 * and then every process of that tree must be gone and the port free to bind again.
 */
const root = path.join(import.meta.dirname, '../../..')
const source = createProcessSource()
/** Time from the signal to the last process of the tree gone, per case: the report. */
const timings: string[] = []

interface Launched {
  npx: ChildProcess
  stdout: string[]
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
}

const launched: Launched[] = []
const seen: number[] = []

function npxSockscope(args: string[]): Launched {
  // detached: a process group of its own, as a shell gives each job.
  const npx = spawn('npx', ['sockscope', ...args], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  const wakers = new Set<() => void>()
  const collect = (into: string[]) => (chunk: Buffer) => {
    into.push(...String(chunk).split('\n').filter(Boolean))
    for (const wake of wakers) wake()
  }
  npx.stdout!.on('data', collect(stdout))
  npx.stderr!.on('data', collect(stderr))
  const run: Launched = {
    npx,
    stdout,
    line: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = stdout.map((l) => l.match(pattern)).find(Boolean)
          if (!found) return
          clearTimeout(timer)
          wakers.delete(check)
          resolve(found)
        }
        const timer = setTimeout(() => {
          wakers.delete(check)
          reject(new Error(`no line matching ${pattern}; stdout: ${stdout.join('\n')}; stderr: ${stderr.join('\n')}`))
        }, timeoutMs)
        wakers.add(check)
        check()
      }),
  }
  launched.push(run)
  return run
}

/** The tree under npx as the kernel has it, once `ready` says it is complete. */
async function treeOf(run: Launched, ready: (tree: ProcessInfo[]) => boolean): Promise<ProcessInfo[]> {
  let tree: ProcessInfo[] = []
  const deadline = Date.now() + 20_000
  let complete = false
  while (!complete && Date.now() < deadline) {
    tree = await source.read([run.npx.pid!], new Map(), { sockets: false })
    complete = ready(tree)
    if (!complete) await new Promise((r) => setTimeout(r, 50))
  }
  expect(complete, `tree never complete: ${tree.map((p) => p.command).join(' | ')}`).toBe(true)
  seen.push(...tree.map((p) => p.pid))
  return tree
}

const has = (tree: ProcessInfo[], part: string) => tree.some((p) => p.command.includes(part))
const pidOf = (tree: ProcessInfo[], match: (p: ProcessInfo) => boolean) => {
  const found = tree.find(match)
  expect(found, `no such process in ${tree.map((p) => p.command).join(' | ')}`).toBeDefined()
  return found!.pid
}
/** npm exec's `sh -c 'sockscope' …`: the lab's parent. */
const shOf = (tree: ProcessInfo[]) => pidOf(tree, (p) => p.command.startsWith('sh -c'))
/** The process whose parent is sh: the lab (or, on a Node older than 24, its launcher). */
const labOf = (tree: ProcessInfo[]) => pidOf(tree, (p) => p.ppid === shOf(tree))

/** Send the signal; resolve with ms until every process of `tree` is gone (a zombie is gone). */
async function signalAndWait(name: string, tree: ProcessInfo[], send: () => void): Promise<number> {
  const started = performance.now()
  send()
  const gone = await waitUntil(() => tree.every((p) => !isAlive(p.pid)), 10_000)
  const ms = Math.round(performance.now() - started)
  const left = tree.filter((p) => isAlive(p.pid)).map((p) => `${p.pid} ${p.command}`)
  expect(gone, `still alive after ${ms} ms: ${left.join(' | ')}`).toBe(true)
  timings.push(`${name}: ${ms} ms`)
  return ms
}

/** A connection that the server holds: fork model, a child that sleeps in its --delay. */
function hold(port: number): net.Socket {
  const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write('x'))
  socket.on('error', () => {})
  return socket
}

afterEach(() => {
  // A failed case must not leave its tree behind for the next one.
  for (const run of launched.splice(0)) {
    try {
      process.kill(-run.npx.pid!, 'SIGKILL')
    } catch {}
  }
  for (const pid of seen.splice(0)) {
    try {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    } catch {}
  }
})

afterAll(() => console.log(`time from the signal to the whole tree gone:\n  ${timings.join('\n  ')}`))

/**
 * Generous: the lab kills what is left 400 ms after the signal and exits by 700 ms
 * (a lost parent is seen within 200 ms more), but this machine may be busy.
 */
const HONEST_MS = 3000

describe('sockscope serve under npx: every route of a stop ends the whole tree and frees the port', () => {
  const routes: Array<[string, (tree: ProcessInfo[], npx: number) => void]> = [
    ['SIGTERM to npx alone (`kill $!` in a script)', (_, npx) => process.kill(npx, 'SIGTERM')],
    ['SIGHUP to npx alone', (_, npx) => process.kill(npx, 'SIGHUP')],
    ['SIGHUP to the process group (the terminal closes)', (_, npx) => process.kill(-npx, 'SIGHUP')],
    ['SIGINT to the process group (Ctrl-C)', (_, npx) => process.kill(-npx, 'SIGINT')],
    ["SIGTERM to npm's sh (the lab's parent dies)", (tree) => process.kill(shOf(tree), 'SIGTERM')],
    ["SIGKILL of npm's sh (the lab's parent vanishes)", (tree) => process.kill(shOf(tree), 'SIGKILL')],
    ['SIGTERM to the lab itself', (tree) => process.kill(labOf(tree), 'SIGTERM')],
  ]
  for (const [name, send] of routes) {
    it(name, async () => {
      const run = npxSockscope(['serve', '--model', 'fork', '--port', '0', '--delay', '30', '-q'])
      const port = Number((await run.line(/^listening on 127\.0\.0\.1:(\d+)$/))[1])
      const held = hold(port)
      const tree = await treeOf(run, (t) => has(t, 'server-host') && has(t, 'fork-child'))
      const ms = await signalAndWait(`serve --model fork, ${name}`, tree, () => send(tree, run.npx.pid!))
      expect(ms).toBeLessThan(HONEST_MS)
      expect(await noServerLeftOn(port)).toBe(true)
      held.destroy()
    })
  }

  it('a host whose loop is blocked (select, --delay) is killed at the deadline', async () => {
    const run = npxSockscope(['serve', '--model', 'select', '--port', '0', '--delay', '30', '-q'])
    const port = Number((await run.line(/^listening on 127\.0\.0\.1:(\d+)$/))[1])
    const held = hold(port)
    const tree = await treeOf(run, (t) => has(t, 'server-host'))
    // Give the host time to take the byte and block in its 30 s sleep.
    await new Promise((r) => setTimeout(r, 300))
    const ms = await signalAndWait('serve --model select --delay 30 (blocked loop), SIGTERM to npx alone', tree, () => process.kill(run.npx.pid!, 'SIGTERM'))
    expect(ms).toBeLessThan(HONEST_MS)
    expect(await noServerLeftOn(port)).toBe(true)
    held.destroy()
  })
})

describe('sockscope clients under npx', () => {
  it('a long workload (idle, --hold 30) ends its driver and closes its connections on SIGTERM to npx', async () => {
    const open = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      open.add(socket)
      socket.on('close', () => open.delete(socket))
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    try {
      const run = npxSockscope(['clients', '--port', String(port), '--workload', 'idle', '--count', '3', '--hold', '30'])
      expect(await waitUntil(() => open.size === 3, 20_000)).toBe(true)
      const tree = await treeOf(run, (t) => has(t, 'client-driver'))
      const ms = await signalAndWait('clients --workload idle --hold 30, SIGTERM to npx alone', tree, () => process.kill(run.npx.pid!, 'SIGTERM'))
      expect(ms).toBeLessThan(HONEST_MS)
      expect(await waitUntil(() => open.size === 0, 5000)).toBe(true)
    } finally {
      server.close()
    }
  })
})

describe('sockscope web under npx', () => {
  beforeAll(async () => {
    // A stale build still serves (web says so); only a missing one must be built.
    const status = buildStatus(RENDERER_OUTPUTS)
    if (!status.ok && status.reason === 'missing') await runBuild()
  }, 240_000)

  /** Web mode with a fork server started through its API, as a page would, holding a connection. */
  async function webWithServer() {
    const run = npxSockscope(['web', '--port', '0'])
    const webPort = Number((await run.line(/^Sockscope web UI: http:\/\/127\.0\.0\.1:(\d+)\/$/))[1])
    const ws = new WebSocket(`ws://127.0.0.1:${webPort}${API_PATH}`, { origin: `http://127.0.0.1:${webPort}` })
    const response = new Promise<{ ok: boolean; result?: { ports: number[] }; error?: unknown }>((resolve) =>
      ws.on('message', (data) => {
        const message = JSON.parse(String(data))
        if (message.type === 'response' && message.id === 1) resolve(message)
      }),
    )
    ws.on('error', () => {})
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'request', id: 1, method: 'startServer', params: { model: 'fork', port: 0, delay: 30 } }))
    const answer = await response
    expect(answer.ok, JSON.stringify(answer.error)).toBe(true)
    const serverPort = answer.result!.ports[0]!
    const held = hold(serverPort)
    const tree = await treeOf(run, (t) => has(t, 'server-host') && has(t, 'fork-child'))
    return { run, webPort, serverPort, tree, close: () => (held.destroy(), ws.terminate()) }
  }

  const routes: Array<[string, (tree: ProcessInfo[], npx: number) => void]> = [
    ['SIGTERM to npx alone', (_, npx) => process.kill(npx, 'SIGTERM')],
    ['SIGHUP to the process group', (_, npx) => process.kill(-npx, 'SIGHUP')],
    ["SIGKILL of npm's sh", (tree) => process.kill(shOf(tree), 'SIGKILL')],
  ]
  for (const [name, send] of routes) {
    it(`${name}: the web host, its lab and the server it started all end, both ports free`, async () => {
      const { run, webPort, serverPort, tree, close } = await webWithServer()
      const ms = await signalAndWait(`web + a fork server, ${name}`, tree, () => send(tree, run.npx.pid!))
      expect(ms).toBeLessThan(HONEST_MS)
      expect(await noServerLeftOn(webPort)).toBe(true)
      expect(await noServerLeftOn(serverPort)).toBe(true)
      close()
    })
  }
})
