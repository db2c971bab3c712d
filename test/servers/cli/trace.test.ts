import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli as runCliToEnd, runCli } from '../../helpers/cli.ts'
import { isAlive, waitUntil } from '../../helpers/lab-run.ts'
import { EXAMPLES, pythonWith } from '../tracer/python.ts'

/** `sockscope trace` as a user runs it: a listening line, the events, and Ctrl-C that leaves nothing behind. */
describe('sockscope trace', () => {
  it('prints listening as the program listens, its events as serve does, and Ctrl-C ends it and its children', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sockscope-trace-cli-'))
    const file = path.join(dir, 'fork.ndjson')
    const cli = runCli(['trace', '--trace', file, '--', pythonWith(), path.join(EXAMPLES, 'fork-server.py'), '--port', '0', '--delay', '30'])
    const [, port] = await cli.line(/^listening on 127\.0\.0\.1:(\d+)$/, 30_000)
    const clients = runCli(['clients', '--port', port!, '-w', 'burst', '-n', '2', '--timeout', '60'])
    const forks = await Promise.all([cli.line(/fork +\[(\d+>\d+)\] child pid (\d+)/, 30_000), cli.line(/accept +\[(\d+)>/, 30_000)])
    await waitUntil(() => cli.stdout.filter((l) => / fork /.test(l)).length >= 2, 20_000)
    const children = cli.stdout.map((l) => / fork +\[\d+>\d+\] child pid (\d+)/.exec(l)?.[1]).filter(Boolean).map(Number)
    expect(children.length).toBe(2)
    expect(forks[0][1]).toMatch(/^\d+>\d+$/)
    cli.child.kill('SIGINT')
    const exit = await cli.exited
    expect(exit.code).toBe(0)
    const trace = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const root = trace.find((e) => e.kind === 'listen')?.src.pid
    expect(root).toBeGreaterThan(0)
    for (const pid of [root, ...children]) expect(await waitUntil(() => !isAlive(pid), 3000), `pid ${pid}`).toBe(true)
    // The trace file holds the same events: the children's forks, their connections' ids.
    expect(trace.filter((e) => e.kind === 'fork').map((e) => e.childPid).sort()).toEqual([...children].sort())
    clients.child.kill('SIGINT')
    await clients.exited
    // One more recording: exported as any other, a row per connection the program accepted.
    const csv = await runCliToEnd(['export', file, '--format', 'csv', '-o', path.join(dir, 'fork.csv')])
    expect(csv.code).toBe(0)
    const [head, ...rows] = readFileSync(path.join(dir, 'fork.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(','))
    const connections = rows.map((row) => row[head!.indexOf('connection')]).sort()
    expect(connections).toEqual(trace.filter((e) => e.kind === 'fork').map((e) => e.conn).sort())
    for (const row of rows) expect(row[head!.indexOf('server_model')]).toBe('traced')
  }, 90_000)

  it('a lab killed outright (SIGKILL, no exit hook runs) takes the traced program and its children with it', async () => {
    const cli = runCli(['trace', '--', pythonWith(), path.join(EXAMPLES, 'fork-server.py'), '--port', '0', '--delay', '30'])
    const [, port] = await cli.line(/^listening on 127\.0\.0\.1:(\d+)$/, 30_000)
    const clients = runCli(['clients', '--port', port!, '-w', 'burst', '-n', '2', '--timeout', '60'])
    await waitUntil(() => cli.stdout.filter((l) => / fork /.test(l)).length >= 2, 30_000)
    // The forking process is the program itself: `pid P  fork [conn] child pid C`.
    const root = Number(/pid (\d+) +fork /.exec(cli.stdout.find((l) => / fork /.test(l))!)![1])
    const children = cli.stdout.map((l) => / fork +\[\d+>\d+\] child pid (\d+)/.exec(l)?.[1]).filter(Boolean).map(Number)
    expect(children).toHaveLength(2)
    cli.child.kill('SIGKILL')
    await cli.exited
    for (const pid of [root, ...children]) expect(await waitUntil(() => !isAlive(pid), 3000), `pid ${pid}`).toBe(true)
    clients.child.kill('SIGINT')
    await clients.exited
  }, 90_000)

  it('says how to install strace when it is missing', async () => {
    // A PATH with node and python3 but no strace.
    const bin = mkdtempSync(path.join(tmpdir(), 'sockscope-nostrace-'))
    symlinkSync(process.execPath, path.join(bin, 'node'))
    const cli = runCli(['trace', '--', pythonWith(), '-c', 'pass'], { env: { ...process.env, PATH: bin } })
    const exit = await cli.exited
    expect(exit.code).toBe(1)
    expect(cli.stderr.join('\n')).toMatch(/^sockscope: strace is not installed: install it \(`sudo apt-get install strace`.*\(TRACER_MISSING\)$/m)
  })

  it('refuses a trace with neither a command nor --pid, and --pid of no process', async () => {
    const none = runCli(['trace'])
    expect((await none.exited).code).toBe(2)
    expect(none.stderr.join('\n')).toMatch(/give the program to trace after --.*\(BAD_OPTION\)/)
    // A pid that is not running: the highest the kernel would hand out, plus one.
    const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1
    const gone = runCli(['trace', '--pid', String(max)])
    expect((await gone.exited).code).toBe(1)
    expect(gone.stderr.join('\n')).toMatch(/no process with pid \d+ \(NO_SUCH_PROCESS\)/)
  })

  it('attaches to a running process by --pid, and Ctrl-C detaches and leaves it running', async () => {
    const python = pythonWith()
    const server = spawn(python, [path.join(EXAMPLES, 'iterative-server.py'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const port = await new Promise<string>((resolve) => server.stdout!.on('data', (d) => { const m = /listening on 127\.0\.0\.1:(\d+)/.exec(String(d)); if (m) resolve(m[1]!) }))
      const cli = runCli(['trace', '--pid', String(server.pid)])
      await cli.line(new RegExp(`^attached to pid ${server.pid}`), 30_000)
      // The kernel's own refusal: a process has one tracer at a time, and this one has it.
      const second = runCli(['trace', '--pid', String(server.pid)])
      expect((await second.exited).code).toBe(1)
      const refusals = second.stderr.filter((l) => /TRACE_NOT_PERMITTED/.test(l))
      expect(refusals).toHaveLength(1)
      expect(refusals[0]).toMatch(new RegExp(`cannot attach to process ${server.pid}: it is already traced by pid \\d+ \\(strace\\)`))
      const clients = runCli(['clients', '--port', port, '-w', 'burst', '-n', '1'])
      await cli.line(/accept +\[\d+>\d+\]/, 30_000)
      await clients.exited
      cli.child.kill('SIGINT')
      expect((await cli.exited).code).toBe(0)
      expect(isAlive(server.pid!)).toBe(true)
    } finally {
      server.kill()
    }
  }, 60_000)
})
