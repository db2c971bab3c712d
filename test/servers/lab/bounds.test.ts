import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_LAB_LIMITS, Lab, type LabLimits, LIMIT_FLAGS } from '../../../src/servers/lab/lab.ts'
import { readTrace } from '../../../src/servers/trace.ts'
import { CLI, type CliRun, runCli } from '../../helpers/cli.ts'
import { isAlive, waitUntil } from '../../helpers/lab-run.ts'
import { noServerLeftOn } from '../../helpers/ports.ts'

/**
 * Probes of what one lab, and one user of it, can cost (issue 10), each bounded in count
 * and time: a lab that vanishes takes every process it started with it, even one whose
 * only thread is asleep; the lab refuses more servers and workloads than its caps; and a
 * trace that cannot be written is an error that says so, never a silent exit 0.
 */
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-lab-bounds-'))
/** Every figure the probes measured, printed once at the end: the before/after table's "after". */
const figures: string[] = []
afterAll(() => {
  console.log(`bounds:\n  ${figures.join('\n  ')}`)
  rmSync(tmp, { recursive: true, force: true })
})

/** The processes a lab started, by the script they run: the kernel's list of its children. */
function childrenRunning(pid: number, script: string): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  return children.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(script)
    } catch {
      return false
    }
  })
}

async function onlyChild(pid: number, script: string): Promise<number> {
  let found: number[] = []
  await waitUntil(() => (found = childrenRunning(pid, script)).length === 1, 10_000)
  expect(found, `${script} under ${pid}`).toHaveLength(1)
  return found[0]!
}

function connectTo(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket))
    socket.once('error', reject)
  })
}

/** Time from `t0` until `pid` is gone (a zombie counts as gone), polled; capped at `capMs`. */
async function timeUntilGone(pid: number, t0: number, capMs: number): Promise<number> {
  await waitUntil(() => !isAlive(pid), capMs)
  return performance.now() - t0
}

describe('a lab that vanishes takes every process it started with it', () => {
  const running: CliRun[] = []
  const sockets: net.Socket[] = []
  /** Processes a failed probe would leave behind (an orphan asleep for 60 s): killed by pid. */
  const strays: number[] = []
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy()
    for (const run of running.splice(0)) run.child.kill('SIGKILL')
    for (const pid of strays.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
  })

  it('a select server asleep in a 60 s --delay exits within 1 s of its lab being SIGKILLed, and the port is free', async () => {
    const trace = path.join(tmp, 'orphan.ndjson')
    const serve = runCli(['serve', '--model', 'select', '--port', '0', '--delay', '60', '--trace', trace, '-q'])
    running.push(serve)
    const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
    const host = await onlyChild(serve.child.pid!, 'server-host')
    strays.push(host)
    const client = await connectTo(Number(port))
    sockets.push(client)
    client.write('ping')
    // The host reports its sleep before it blocks: from here its one thread is in Atomics.wait.
    expect(await waitUntil(() => readFileSync(trace, 'utf8').includes('"on":"sleep"'), 10_000)).toBe(true)

    const t0 = performance.now()
    serve.child.kill('SIGKILL')
    const outlivedMs = await timeUntilGone(host, t0, 5000)
    figures.push(`select host asleep in --delay 60 outlived its SIGKILLed lab by ${outlivedMs.toFixed(0)} ms`)
    // The bound is 1 s; half a second more is the margin for a busy two-core machine.
    expect(outlivedMs).toBeLessThan(1500)
    expect(await noServerLeftOn(Number(port))).toBe(true)
  })

  it('a client driver holding idle connections exits within 1 s of its lab being SIGKILLed', async () => {
    const held = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      held.add(socket)
      socket.on('close', () => held.delete(socket))
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as net.AddressInfo).port
      const clients = runCli(['clients', '--port', String(port), '--workload', 'idle', '--count', '3', '--hold', '60'])
      running.push(clients)
      const driver = await onlyChild(clients.child.pid!, 'client-driver')
      strays.push(driver)
      expect(await waitUntil(() => held.size === 3, 10_000)).toBe(true)

      const t0 = performance.now()
      clients.child.kill('SIGKILL')
      const outlivedMs = await timeUntilGone(driver, t0, 5000)
      figures.push(`client driver (idle, --hold 60) outlived its SIGKILLed lab by ${outlivedMs.toFixed(0)} ms`)
      expect(outlivedMs).toBeLessThan(1500)
      expect(await waitUntil(() => held.size === 0, 2000)).toBe(true)
    } finally {
      server.close()
    }
  })

  it('Lab.stop() ends a host that cannot answer (asleep in --delay) without waiting 3 s', async () => {
    const lab = new Lab({ osSampling: false })
    try {
      const sleeping = new Promise<void>((resolve) => lab.onEvents((batch) => batch.some((e) => e.kind === 'block' && e.on === 'sleep') && resolve()))
      const server = await lab.startServer({ model: 'select', delay: 60 })
      const client = await connectTo(server.ports[0]!)
      sockets.push(client)
      client.write('ping')
      await sleeping
      const t0 = performance.now()
      await lab.stop()
      const stopMs = performance.now() - t0
      figures.push(`Lab.stop() with a host asleep in --delay 60: ${stopMs.toFixed(0)} ms`)
      expect(isAlive(server.pid)).toBe(false)
      // The lab's grace for a host that does not answer is 1 s (it was 3 s); the margin as above.
      expect(stopMs).toBeLessThan(1500)
    } finally {
      await lab.stop()
    }
  })
})

describe('caps on what one user of the lab may ask for', () => {
  const labs: Lab[] = []
  afterEach(async () => {
    await Promise.all(labs.splice(0).map((lab) => lab.stop()))
  })

  function newLab(limits: Partial<LabLimits>): Lab {
    const lab = new Lab({ osSampling: false, limits })
    labs.push(lab)
    return lab
  }

  it('defaults to 16 servers, 16 workloads and 1000 clients at once, each raised by a flag the message names', () => {
    expect(DEFAULT_LAB_LIMITS).toEqual({ servers: 16, workloads: 16, clients: 1000 })
    expect(LIMIT_FLAGS).toEqual({ servers: '--max-servers', workloads: '--max-workloads', clients: '--max-clients' })
  })

  it('refuses a server past the cap with LIMIT_REACHED naming the cap and its flag, and takes one again once a server stopped', async () => {
    const lab = newLab({ servers: 2 })
    const first = await lab.startServer({ model: 'iterative' })
    await lab.startServer({ model: 'iterative' })
    const refused = lab.startServer({ model: 'iterative' })
    await expect(refused).rejects.toMatchObject({
      code: 'LIMIT_REACHED',
      message: '2 servers are running, the most this lab runs at once: stop one, or raise the cap with --max-servers',
    })
    // Refused before anything was started: no third process, no third id.
    expect(lab.listServers().map((s) => s.id)).toEqual(['s1', 's2'])
    await lab.stopServer(first.id)
    expect((await lab.startServer({ model: 'iterative' })).state).toBe('running')
  })

  it('counts servers that are still starting: three at once against a cap of two start two', async () => {
    const lab = newLab({ servers: 2 })
    const outcomes = await Promise.allSettled([0, 1, 2].map(() => lab.startServer({ model: 'iterative' })))
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected'])
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'LIMIT_REACHED' })
  })

  it('refuses a workload past the workload cap, and one whose clients would pass the client cap', async () => {
    const lab = newLab({ workloads: 2, clients: 10 })
    const server = await lab.startServer({ model: 'thread' })
    const port = server.ports[0]!
    const first = await lab.runClients({ port, workload: 'idle', count: 6, hold: 30 })
    await expect(lab.runClients({ port, workload: 'idle', count: 5, hold: 30 })).rejects.toMatchObject({
      code: 'LIMIT_REACHED',
      message: '5 more clients would make 11 running at once, over this lab\'s cap of 10: wait for a workload to end or stop one, or raise the cap with --max-clients',
    })
    await lab.runClients({ port, workload: 'idle', count: 4, hold: 30 })
    await expect(lab.runClients({ port, workload: 'idle', count: 1, hold: 30 })).rejects.toMatchObject({
      code: 'LIMIT_REACHED',
      message: '2 client workloads are running, the most this lab runs at once: wait for one to end or stop one, or raise the cap with --max-workloads',
    })
    await lab.stopClients(first.id)
    expect((await lab.runClients({ port, workload: 'idle', count: 6, hold: 30 })).state).toBe('running')
    expect(lab.listClientRuns()).toHaveLength(2)
  })

  it('refuses one workload larger than the client cap, saying to ask for fewer', async () => {
    const lab = newLab({ clients: 10 })
    await expect(lab.runClients({ port: 9, workload: 'idle', count: 11 })).rejects.toMatchObject({
      code: 'LIMIT_REACHED',
      message: "a workload of 11 clients is over this lab's cap of 10 clients at once: ask for fewer, or raise the cap with --max-clients",
    })
    expect(lab.listClientRuns()).toEqual([])
  })

  it('rejects a cap that is not a positive integer', () => {
    expect(() => new Lab({ osSampling: false, limits: { servers: 0 } })).toThrow('servers must be an integer from 1 to 1000, not 0')
    expect(() => new Lab({ osSampling: false, limits: { clients: 2.5 } })).toThrow('clients must be an integer from 1 to 100000, not 2.5')
  })
})

describe('a trace that cannot be written is an error, never a silent exit 0', () => {
  const running: CliRun[] = []
  afterEach(() => {
    for (const run of running.splice(0)) run.child.kill('SIGKILL')
  })

  /** Run the CLI until it exits; if it is still serving once `port` is known, drive it and send SIGINT. */
  async function serveUntilDone(run: CliRun): Promise<{ code: number | null; stderr: string[] }> {
    running.push(run)
    const listening = run.line(/^listening on 127\.0\.0\.1:(\d+)$/, 15_000).catch(() => undefined)
    const outcome = await Promise.race([run.exited.then(() => undefined), listening])
    if (outcome) {
      const client = await connectTo(Number(outcome[1]))
      // Its echo back: the server has accepted, read and sent, so the trace has events.
      client.write('ping')
      await new Promise((r) => client.once('data', r).once('close', r).once('error', r))
      client.destroy()
      run.child.kill('SIGINT')
    }
    const { code } = await run.exited
    await new Promise((r) => setImmediate(r))
    return { code, stderr: run.stderr.filter(Boolean) }
  }

  it('serve --trace /dev/full says so in one sentence with TRACE_WRITE_FAILED and exits 1', async () => {
    const t0 = performance.now()
    const { code, stderr } = await serveUntilDone(runCli(['serve', '--model', 'iterative', '--port', '0', '--trace', '/dev/full', '-q']))
    figures.push(`serve --trace /dev/full: exit ${code}, ${stderr.length} line(s) on stderr, ${(performance.now() - t0).toFixed(0)} ms`)
    expect(code).toBe(1)
    expect(stderr).toEqual([
      'sockscope: cannot write the trace /dev/full: no space left on device (ENOSPC); free some space or give --trace another file (TRACE_WRITE_FAILED)',
    ])
  })

  it('clients --trace /dev/full says so and exits 1', async () => {
    const server = net.createServer((socket) => socket.pipe(socket).on('error', () => {}))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const port = (server.address() as net.AddressInfo).port
      const run = runCli(['clients', '--port', String(port), '--count', '2', '--trace', '/dev/full'])
      running.push(run)
      const { code } = await run.exited
      await new Promise((r) => setImmediate(r))
      figures.push(`clients --trace /dev/full: exit ${code}, stderr ${JSON.stringify(run.stderr.filter(Boolean))}`)
      expect(code).toBe(1)
      expect(run.stderr.filter(Boolean)).toEqual([expect.stringMatching(/^sockscope: cannot write the trace \/dev\/full: no space left on device .*\(TRACE_WRITE_FAILED\)$/)])
    } finally {
      server.close()
    }
  })

  it('a trace path that cannot be opened (no such folder, a folder) is TRACE_WRITE_FAILED, before anything starts', async () => {
    const missing = path.join(tmp, 'no-such-folder', 'x.ndjson')
    for (const [file, reason] of [[missing, 'no such file or directory (ENOENT)'], [tmp, 'it is a directory (EISDIR)']] as const) {
      const { code, stderr } = await serveUntilDone(runCli(['serve', '--model', 'iterative', '--port', '0', '--trace', file, '-q']))
      expect(code, file).toBe(1)
      expect(stderr).toEqual([`sockscope: cannot write the trace ${file}: ${reason}; check the path, or give --trace another file (TRACE_WRITE_FAILED)`])
    }
  })

  it('a disk that fills mid-run stops the run with the error, and the header says the trace ends early', async () => {
    const trace = path.join(tmp, 'filled.ndjson')
    // The file-size limit (ulimit -f, in KiB here) stands for a disk that fills: writes past it fail with EFBIG.
    const sh = spawn('sh', ['-c', `ulimit -f 64 && exec "${process.execPath}" "${CLI}" serve --model thread --port 0 --trace "${trace}" -q`], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stderr: string[] = []
    let stdout = ''
    sh.stdout.on('data', (chunk) => (stdout += chunk))
    sh.stderr.on('data', (chunk) => stderr.push(...String(chunk).split('\n').filter(Boolean)))
    const exited = new Promise<number | null>((resolve) => sh.on('exit', (code) => resolve(code)))
    try {
      expect(await waitUntil(() => /listening on 127\.0\.0\.1:\d+/.test(stdout), 15_000)).toBe(true)
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)![1])
      // Echo round trips until the trace has no room left (64 KiB is a few hundred events); bounded at 10 s.
      let done = false
      void exited.then(() => (done = true))
      const deadline = performance.now() + 10_000
      while (!done && performance.now() < deadline) {
        const client = await connectTo(port).catch(() => undefined)
        if (!client) break
        client.resume().end('x'.repeat(100))
        await new Promise((r) => client.once('close', r).once('error', r))
      }
      const code = await exited
      figures.push(`serve --trace on a filling disk: exit ${code}, trace ${readFileSync(trace).length} B`)
      expect(code).toBe(1)
      expect(stderr).toEqual([expect.stringMatching(/^sockscope: cannot write the trace .*filled\.ndjson: the file is too large for this system's limit \(EFBIG\); free some space or give --trace another file \(TRACE_WRITE_FAILED\)$/)])
      const read = await readTrace(trace)
      expect(read.header.ended).toBe('write-failed')
      expect(read.events.length).toBeGreaterThan(0)
    } finally {
      sh.kill('SIGKILL')
    }
  })

  it('a run that ends normally records ended: clean in the header, which stays the first line at a fixed width', async () => {
    const trace = path.join(tmp, 'clean.ndjson')
    const { code } = await serveUntilDone(runCli(['serve', '--model', 'iterative', '--port', '0', '--trace', trace, '-q']))
    expect(code).toBe(0)
    expect(existsSync(trace)).toBe(true)
    const [first] = readFileSync(trace, 'utf8').split('\n')
    expect(JSON.parse(first!)).toMatchObject({ format: 'sockscope-trace', version: 2, command: 'serve', ended: 'clean' })
    const read = await readTrace(trace)
    expect(read.problems).toEqual([])
    expect(read.events.some((e) => e.kind === 'accept')).toBe(true)
  })
})
