import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Lab } from '../../../src/servers/lab/lab.ts'
import { splitCommandLine } from '../../../src/servers/tracer/command-line.ts'
import { LabService } from '../../../src/servers/web/lab-service.ts'
import type { RunInfo } from '../../../src/servers/web/protocol.ts'
import { EXAMPLES, pythonWith } from '../tracer/python.ts'

/** The app's Trace a program: a command line from a page, run under strace as a server run. */
const lab = new Lab()
const service = new LabService(lab, { host: 'web', flushMs: 5 })
afterAll(() => service.dispose(), 20_000)

const request = (method: string, params: unknown) => service.handle({ type: 'request', id: 1, method, params })

describe('startTrace', () => {
  it('runs the command line as a server run whose ports fill in as it listens, and stopServer ends it', async () => {
    const answer = await request('startTrace', { command: `${pythonWith()} ${path.join(EXAMPLES, 'iterative-server.py')} --port 0` })
    expect(answer).toMatchObject({ ok: true })
    const run = (answer as { result: RunInfo }).result
    expect(run).toMatchObject({ kind: 'server', state: 'running', spec: { model: 'traced' } })
    expect(run.id).toMatch(/^t\d+$/)
    const deadline = Date.now() + 20_000
    while (!service.listRuns().find((r) => r.id === run.id)?.ports?.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(service.listRuns().find((r) => r.id === run.id)!.ports![0]).toBeGreaterThan(0)
    expect(await request('stopServer', { id: run.id })).toMatchObject({ ok: true })
    expect(service.listRuns().find((r) => r.id === run.id)!.state).toBe('stopped')
  }, 40_000)

  it('refuses a bad command line or working directory, and any trace on a host served beyond loopback', async () => {
    expect(await request('startTrace', { command: "python3 'x" })).toMatchObject({ ok: false, error: { code: 'BAD_OPTION' } })
    expect(await request('startTrace', { command: 'python3 x.py', cwd: '/no/such/dir' })).toMatchObject({ ok: false, error: { code: 'BAD_OPTION' } })
    const remote = new LabService(new Lab({ osSampling: false }), { host: 'web', allowTrace: false })
    expect(await remote.handle({ type: 'request', id: 2, method: 'startTrace', params: { command: 'true' } })).toMatchObject({ ok: false, error: { code: 'NOT_ALLOWED' } })
    await remote.dispose()
  })

  it('splits a command line as a shell splits words, expanding nothing', () => {
    expect(splitCommandLine(`python3  "my server.py" --name 'a b' x\\ y $HOME`)).toEqual(['python3', 'my server.py', '--name', 'a b', 'x y', '$HOME'])
    expect(() => splitCommandLine('   ')).toThrow(/give the command line/)
  })
})
