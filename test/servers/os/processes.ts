import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/os')

export interface Started {
  child: ChildProcess
  pid: number
  /** The first line the process printed (the fixtures print their port). */
  firstLine: string
}

const started = new Set<ChildProcess>()

/**
 * Start a Python fixture in its own process group (so that killAll ends its forked
 * children too) and wait for its first line of output.
 */
export async function startPython(fixture: string, args: string[] = []): Promise<Started> {
  const child = spawn('python3', [path.join(FIXTURES, fixture), ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] })
  started.add(child)
  const firstLine = await new Promise<string>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`${fixture} printed nothing in 10 s`)), 10_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk
      const newline = text.indexOf('\n')
      if (newline < 0) return
      clearTimeout(timer)
      resolve(text.slice(0, newline))
    })
    child.once('exit', (code) => reject(new Error(`${fixture} exited (${code}) before printing`)))
    child.once('error', reject)
  })
  return { child, pid: child.pid!, firstLine }
}

/** Kill every process group startPython started (for afterEach / afterAll). */
export function killAll(): void {
  for (const child of started) {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  started.clear()
}

const sockets = new Set<net.Socket>()

/** A raw client connection to 127.0.0.1:port, resolved once the handshake completes. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket))
    sockets.add(socket)
    socket.once('error', reject)
  })
}

export function destroyAllSockets(): void {
  for (const socket of sockets) socket.destroy()
  sockets.clear()
}

/** Run `check` (awaiting it) every `everyMs` until it returns a value other than undefined. */
export async function poll<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 8000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
