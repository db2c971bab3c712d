import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readTrace } from '../../../src/servers/trace.ts'
import { cli, type CliRun, runCli } from '../../helpers/cli.ts'
import { isAlive, waitUntil } from '../../helpers/lab-run.ts'
import { noServerLeftOn } from '../../helpers/ports.ts'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-cli-'))

/** Children of a pid, from the kernel's process table. */
function descendants(pid: number): number[] {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout
  const pairs = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number])
  const found: number[] = []
  const walk = (parent: number) => {
    for (const [child, ppid] of pairs) if (ppid === parent) (found.push(child), walk(child))
  }
  walk(pid)
  return found
}

describe('sockscope CLI', () => {
  const running: CliRun[] = []
  afterEach(() => {
    for (const run of running.splice(0)) run.child.kill('SIGKILL')
  })

  it('serve --port 0 prints the port, clients talks to it, Ctrl-C stops everything it started', async () => {
    const serve = runCli(['serve', '--model', 'fork', '--app', 'echo-time', '--port', '0', '--delay', '0.3'])
    running.push(serve)
    const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
    const clients = await cli(['clients', '--port', port!, '--count', '8', '--words', 'Hello network world'])
    expect(clients.code).toBe(0)
    const lines = clients.stdout.filter((l) => l.startsWith('client'))
    expect(lines).toHaveLength(8)
    for (const line of lines) {
      expect(line).toMatch(/^client +\d+ +\d+>\d+ +\d+\.\d{3} s  "Echo=>Hello at .+"  "Echo=>network at .+"  "Echo=>world at .+"$/)
      // Each client waited for its delay, in parallel with the others.
      const seconds = Number(line.match(/(\d+\.\d{3}) s/)![1])
      expect(seconds).toBeGreaterThanOrEqual(0.3)
    }
    expect(clients.stdout.at(-1)).toMatch(/^8 clients, 8 ok, 0 failed, \d+\.\d{3} s in all$/)
    // The server's log shows the forks and exits as they happened.
    await serve.line(/exit .* child pid \d+ code 0/)

    // Hold a connection open (its child sleeps), then Ctrl-C the server.
    const held = net.connect({ port: Number(port), host: '127.0.0.1' })
    held.on('error', () => {})
    await serve.line(/fork .*\[\d+>\d+\] child pid \d+/)
    await waitUntil(() => descendants(serve.child.pid!).length >= 2)
    const tree = descendants(serve.child.pid!)
    serve.child.kill('SIGINT')
    expect((await serve.exited).code).toBe(0)
    expect(await waitUntil(() => tree.every((pid) => !isAlive(pid)), 3000)).toBe(true)
    expect(await noServerLeftOn(Number(port))).toBe(true)
    held.destroy()
  })

  it('a killed CLI takes its server host and forked children with it', async () => {
    const serve = runCli(['serve', '--model', 'fork', '--delay', '30', '-q'])
    running.push(serve)
    const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
    const held = net.connect({ port: Number(port), host: '127.0.0.1' }, () => held.write('x'))
    held.on('error', () => {})
    await waitUntil(() => descendants(serve.child.pid!).length >= 2)
    const tree = descendants(serve.child.pid!)
    serve.child.kill('SIGKILL')
    expect(await waitUntil(() => tree.every((pid) => !isAlive(pid)), 5000)).toBe(true)
    held.destroy()
  })

  it('any client works: the seeds\' Python echo client gets seed 003\'s reply format', async () => {
    const serve = runCli(['serve', '--model', 'thread', '--app', 'echo-time', '-q'])
    running.push(serve)
    const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
    const client = [
      'import socket, sys',
      `s = socket.create_connection(("127.0.0.1", ${port}))`,
      'for word in sys.argv[1:]:',
      '    s.send(word.encode())',
      '    print("Client received:", repr(s.recv(1024).decode()))',
      's.close()',
    ].join('\n')
    const result = spawnSync('python3', ['-c', client, 'Brave', 'Sir', 'Robin'], { encoding: 'utf8', timeout: 10_000 })
    expect(result.status).toBe(0)
    const replies = result.stdout.trim().split('\n')
    expect(replies).toHaveLength(3)
    expect(replies[0]).toMatch(/^Client received: 'Echo=>Brave at \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}'$/)
    expect(replies[2]).toMatch(/^Client received: 'Echo=>Robin at /)
  })

  it('--trace writes an NDJSON header and events whose connection ids match on both sides', async () => {
    const serverTrace = path.join(tmp, 'server.ndjson')
    const clientTrace = path.join(tmp, 'clients.ndjson')
    const serve = runCli(['serve', '--model', 'thread', '--port', '0', '--trace', serverTrace, '-q'])
    running.push(serve)
    const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
    expect((await cli(['clients', '--port', port!, '--count', '3', '--trace', clientTrace])).code).toBe(0)
    serve.child.kill('SIGINT')
    await serve.exited

    const header = JSON.parse(readFileSync(serverTrace, 'utf8').split('\n')[0]!)
    expect(header).toMatchObject({ format: 'sockscope-trace', version: 2, command: 'serve', ended: 'clean' })
    const server = await readTrace(serverTrace)
    const client = await readTrace(clientTrace)
    expect(server.problems).toEqual([])
    const accepted = server.events.filter((e) => e.kind === 'accept').map((e) => (e as { conn: string }).conn).sort()
    const connected = client.events.filter((e) => e.kind === 'connect').map((e) => (e as { conn: string }).conn).sort()
    expect(accepted).toHaveLength(3)
    expect(accepted).toEqual(connected)
    expect(server.events.filter((e) => e.kind === 'thread-start')).toHaveLength(3)
  })

  it('says what is wrong in one line and exits non-zero for a bad model, a bad value, a port in use', async () => {
    const badModel = await cli(['serve', '--model', 'forky'])
    expect(badModel.code).toBe(2)
    expect(badModel.stderr[0]).toBe("sockscope: --model must be one of iterative, fork, thread, socketserver, select, asyncio, reactor, not 'forky' (BAD_OPTION)")

    const badDelay = await cli(['serve', '--model', 'fork', '--delay', 'soon'])
    expect(badDelay.code).toBe(2)
    expect(badDelay.stderr[0]).toBe("sockscope: --delay must be a number from 0 to 3600, not 'soon' (BAD_OPTION)")

    const taken = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => taken.once('listening', r))
    const port = (taken.address() as net.AddressInfo).port
    const inUse = await cli(['serve', '--model', 'iterative', '--port', String(port)])
    taken.close()
    expect(inUse.code).toBe(1)
    expect(inUse.stderr).toEqual([`sockscope: port ${port} on 127.0.0.1 is already in use; pick another or use --port 0 (PORT_IN_USE)`])

    const refused = await cli(['clients', '--port', String(port), '--count', '2'])
    expect(refused.code).toBe(1)
    expect(refused.stdout.filter((l) => l.includes('CONNECTION_REFUSED'))).toHaveLength(2)
  })

  it('words every usage error as one sentence with its range, and exits 2 for each, whichever check found it', async () => {
    const cases: [string[], string][] = [
      [['serve', '--model', 'fork', '--port', '70000'], "--port must be an integer from 0 to 65535, not '70000'"],
      [['serve', '--model', 'fork', '--max-length', '0'], "--max-length must be an integer from 1 to 1073741824, not '0'"],
      [['serve'], '--model is required'],
      [['clients', '--port', '0'], "--port must be an integer from 1 to 65535, not '0'"],
      [['clients', '--port', '9', '--count', '5000'], "--count must be an integer from 1 to 1000, not '5000'"],
      [['serve', '--model', 'thread', '--reap', 'never'], '--reap means nothing to the thread model with the echo app (it is for the fork and socketserver models)'],
      // socketserver reaps only children, so only its forking mixin takes --reap.
      [['serve', '--model', 'socketserver', '--reap', 'never'], '--reap means nothing to the socketserver model with --mixin threading (it needs --mixin forking)'],
      // The caps: children for the forking servers, threads for the threading ones.
      [['serve', '--model', 'fork', '--max-children', '0'], "--max-children must be an integer from 1 to 1000, not '0'"],
      [['serve', '--model', 'select', '--max-children', '8'], '--max-children means nothing to the select model with the echo app (it is for the fork and socketserver models)'],
      [['serve', '--model', 'socketserver', '--max-children', '8'], '--max-children means nothing to the socketserver model with --mixin threading (it needs --mixin forking)'],
      [['serve', '--model', 'fork', '--max-threads', '8'], '--max-threads means nothing to the fork model with the echo app (it is for the thread and socketserver models)'],
    ]
    // All at once: each is its own short-lived process, and nothing they check is timing.
    const [unknown, ...runs] = await Promise.all([cli(['serv']), ...cases.map(([args]) => cli(args))])
    cases.forEach(([args, sentence], i) => {
      expect(runs[i]!.code, args.join(' ')).toBe(2)
      expect(runs[i]!.stderr[0], args.join(' ')).toBe(`sockscope: ${sentence} (BAD_OPTION)`)
    })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr[0]).toMatch(/^sockscope: unknown command 'serv'.* \(UNKNOWN_COMMAND\)$/)
  })

  it('--help lists every model, app and workload with one line each', async () => {
    const serve = await cli(['serve', '--help'])
    expect(serve.code).toBe(0)
    for (const name of ['iterative', 'fork', 'thread', 'echo', 'echo-time']) expect(serve.stdout.some((l) => l.trim().startsWith(`${name} `))).toBe(true)
    const clients = await cli(['clients', '--help'])
    expect(clients.stdout.some((l) => l.trim().startsWith('burst '))).toBe(true)
  })

  it('reads back a trace whose lines were torn without losing the good ones', async () => {
    const file = path.join(tmp, 'torn.ndjson')
    const good = (t: number) => JSON.stringify({ kind: 'close', t, src: { role: 'client', run: 'c1', pid: 1, tid: 0 }, conn: '1>2', by: 'local' })
    writeFileSync(file, [JSON.stringify({ format: 'sockscope-trace', version: 1, originNs: '1', createdAt: 'x', command: 'serve' }), good(5), '{"kind":"recv","t":', good(2), '[]', ''].join('\n'))
    const trace = await readTrace(file)
    expect(trace.events.map((e) => e.t)).toEqual([2, 5])
    expect(trace.problems.map((p) => p.line)).toEqual([3, 5])
    writeFileSync(file, 'hello\n')
    await expect(readTrace(file)).rejects.toMatchObject({ code: 'TRACE_CORRUPT' })
  })
})
