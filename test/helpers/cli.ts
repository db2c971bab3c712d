import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { expect } from 'vitest'

export const CLI = path.join(import.meta.dirname, '../../src/servers/cli/sockscope.ts')

export interface CliRun {
  child: ChildProcess
  stdout: string[]
  stderr: string[]
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Run the sockscope CLI as a user would, in its own process. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] })
  const stdout: string[] = []
  const stderr: string[] = []
  const listeners = new Set<() => void>()
  const collect = (into: string[]) => {
    let partial = ''
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop()!
      into.push(...lines)
      for (const l of listeners) l()
    }
  }
  child.stdout!.on('data', collect(stdout))
  child.stderr!.on('data', collect(stderr))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    child,
    stdout,
    stderr,
    exited,
    line(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const l of stdout) {
            const m = l.match(pattern)
            if (m) {
              clearTimeout(timer)
              listeners.delete(check)
              return resolve(m)
            }
          }
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`no line matching ${pattern}; stdout: ${stdout.join('\n')}; stderr: ${stderr.join('\n')}`))
        }, timeoutMs)
        listeners.add(check)
        check()
      })
    },
  }
}

/** Run to completion. */
export async function cli(args: string[]): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  const run = runCli(args)
  const { code } = await run.exited
  await new Promise((r) => setImmediate(r))
  return { code, stdout: run.stdout, stderr: run.stderr }
}

/**
 * Seed 003's forking server, recorded by the CLI as a person would: `clients` clients whose
 * children sleep `delaySeconds`, then stay zombies until one more client's accept reaps them
 * (reap=on-accept). The server's trace and the clients' go to the two files given.
 */
export async function recordForkRun(files: { serverTrace: string; clientTrace: string }, options: { clients: number; delaySeconds: number }): Promise<void> {
  const serve = runCli(['serve', '--model', 'fork', '--app', 'echo-time', '--port', '0', '--delay', String(options.delaySeconds), '--reap', 'on-accept', '--trace', files.serverTrace])
  const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
  expect((await cli(['clients', '--port', port!, '--count', String(options.clients), '--trace', files.clientTrace])).code).toBe(0)
  const exits = () => serve.stdout.filter((l) => / exit .*child pid \d+ code 0/.test(l)).length
  while (exits() < options.clients) await new Promise((resolve) => serve.child.stdout!.once('data', resolve))
  expect((await cli(['clients', '--port', port!, '--count', '1'])).code).toBe(0)
  await serve.line(/ reap .*child pid/)
  serve.child.kill('SIGINT')
  expect((await serve.exited).code).toBe(0)
}
