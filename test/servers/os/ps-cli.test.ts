import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, destroyAllSockets, killAll, poll, startPython } from './processes.ts'

// `sockscope ps` (src/servers/cli/ps.ts), run as a user runs it.

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../src/servers/cli/sockscope.ts')

function sockscope(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

afterEach(() => {
  destroyAllSockets()
  killAll()
})

/** A fork server with `n` zombie children. */
async function serverWithZombies(n: number) {
  const server = await startPython('fork_server_noreap.py')
  for (let i = 0; i < n; i++) {
    const socket = await connect(Number(server.firstLine))
    socket.end('x').resume()
    await once(socket, 'close')
  }
  await poll(() => {
    const children = fs.readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(' ').filter(Boolean)
    const zombies = children.filter((pid) => {
      try {
        return / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!)
      } catch {
        return false
      }
    })
    return zombies.length === n ? true : undefined
  }, `${n} zombies`)
  return server
}

describe('sockscope ps', () => {
  it('--once --json: one snapshot with the tree, its zombies and its listening socket', async () => {
    const server = await serverWithZombies(2)
    const { code, stdout, stderr } = await sockscope('ps', '--pid', String(server.pid), '--once', '--json')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.trim().split('\n')).toHaveLength(1)
    const snapshot = JSON.parse(stdout)
    expect(snapshot.source).toBe('linux /proc')
    const [root, ...children] = snapshot.processes
    expect(root).toMatchObject({ pid: server.pid, state: 'S', threads: 1 })
    expect(root.command).toContain('fork_server_noreap.py')
    expect(root.sockets).toEqual([expect.objectContaining({ state: 'LISTEN', local: `127.0.0.1:${server.firstLine}`, acceptQueue: 0 })])
    expect(children).toHaveLength(2)
    for (const child of children) expect(child).toMatchObject({ ppid: server.pid, state: 'Z', command: expect.stringMatching(/^\[python.*\] <defunct>$/) })
  })

  it('--once: a ps -f style table with <defunct> children under their parent', async () => {
    const server = await serverWithZombies(2)
    const { code, stdout } = await sockscope('ps', '--pid', String(server.pid), '--once')
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    expect(lines.find((l) => l.trim().startsWith('PID'))).toMatch(/PID +PPID S +THR +%CPU +RSS STIME +CMD/)
    const defunct = lines.filter((l) => l.includes('<defunct>'))
    expect(defunct).toHaveLength(2)
    for (const line of defunct) expect(line).toMatch(new RegExp(`^ +\\d+ +${server.pid} Z +1 .*\\\\_ \\[python.*\\] <defunct>$`))
    expect(stdout).toContain('2 zombies')
    expect(stdout).toMatch(new RegExp(`${server.pid} +3 tcp +LISTEN +127\\.0\\.0\\.1:${server.firstLine} +\\*:\\*`))
  })

  it('live: redraws every interval, and ends when the watched process does', async () => {
    const server = await startPython('listen_sleep.py')
    const cli = spawn(process.execPath, [CLI, 'ps', '--pid', String(server.pid), '--interval', '100'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    cli.stdout.on('data', (chunk) => (out += chunk))
    try {
      await poll(() => ((out.match(/^ +PID +PPID/gm) ?? []).length >= 3 ? true : undefined), 'three tables')
      process.kill(-server.pid, 'SIGKILL')
      const [code] = await Promise.race([once(cli, 'exit'), new Promise((_, reject) => setTimeout(() => reject(new Error('the CLI did not end')), 5000))]) as [number]
      expect(code).toBe(0)
      expect(out).toContain(`pid ${server.pid} has exited.`)
    } finally {
      cli.kill('SIGKILL')
    }
  })

  it('--listening: the processes with a TCP socket in LISTEN', async () => {
    const server = await startPython('listen_sleep.py')
    const json = await sockscope('ps', '--listening', '--json')
    expect(json.code).toBe(0)
    const mine = JSON.parse(json.stdout).find((p: { pid: number }) => p.pid === server.pid)
    expect(mine.listening).toEqual([expect.objectContaining({ local: `127.0.0.1:${server.firstLine}`, state: 'LISTEN' })])
    const table = await sockscope('ps', '--listening')
    expect(table.stdout).toMatch(new RegExp(`^ +${server.pid} +\\d+ 127\\.0\\.0\\.1:${server.firstLine} +0 .*listen_sleep\\.py`, 'm'))
  })

  it('fails with one clear line and a non-zero exit on a bad pid or option', async () => {
    const pidMax = fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()
    const none = await sockscope('ps', '--pid', pidMax, '--once')
    expect(none.code).toBe(1)
    expect(none.stderr).toBe(`sockscope: no process with pid ${pidMax} (NO_SUCH_PROCESS)\n`)

    const thread = fs.readdirSync(`/proc/${process.pid}/task`).find((tid) => Number(tid) !== process.pid)!
    const notProcess = await sockscope('ps', '--pid', thread, '--once')
    expect(notProcess.code).toBe(2)
    expect(notProcess.stderr).toBe(`sockscope: ${thread} is a thread of process ${process.pid}; watch --pid ${process.pid} (BAD_OPTION)\n`)

    const noPid = await sockscope('ps')
    expect(noPid.code).toBe(2)
    expect(noPid.stderr).toMatch(/^sockscope: give the process to watch with --pid N/)

    const badInterval = await sockscope('ps', '--pid', String(process.pid), '--interval', '5')
    expect(badInterval.code).toBe(2)
    expect(badInterval.stderr.split('\n')[0]).toBe("sockscope: --interval must be an integer ≥ 20, not '5' (BAD_OPTION)")
  })
})
