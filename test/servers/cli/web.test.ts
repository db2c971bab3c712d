import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { appOptionsFromArgv, labLimitArgs, openArgs } from '../../../src/servers/cli/lab-limits.ts'
import { DEFAULT_LAB_LIMITS } from '../../../src/servers/lab/lab.ts'
import { buildStatus, RENDERER_OUTPUTS, runBuild } from '../../../src/servers/web/artifacts.ts'
import { API_PATH, HostMessageSchema, RECORDINGS_PATH } from '../../../src/servers/web/protocol.ts'
import { cli, type CliRun, runCli } from '../../helpers/cli.ts'

/**
 * `sockscope web FILE...` and `sockscope app FILE...` as a person types them: a file that
 * cannot be read is one line and exit 2 before anything starts (the app's check runs
 * before it looks for Electron, so it is tested here too); a good one is in the page's
 * hello, to open at start, and served at its path.
 */

let dir: string
const running: CliRun[] = []

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-cli-web-'))
  fs.writeFileSync(path.join(dir, 'server.ndjson'), '{"format":"sockscope-trace"}\n')
})

afterAll(() => {
  for (const run of running) run.child.kill('SIGKILL')
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('sockscope web FILE... / app FILE...', () => {
  for (const command of ['web', 'app']) {
    it(`${command}: a missing file is one line naming it, exit 2`, async () => {
      const missing = path.join(dir, 'missing.ndjson')
      const run = await cli([command, path.join(dir, 'server.ndjson'), missing])
      expect(run.code).toBe(2)
      expect(run.stderr.filter(Boolean)).toEqual([`sockscope: cannot read ${missing}: no such file or directory (ENOENT) (BAD_OPTION)`])
      expect(run.stdout.filter(Boolean)).toEqual([])
    })
  }

  it('web: a directory is not a trace file', async () => {
    const run = await cli(['web', dir])
    expect(run.code).toBe(2)
    expect(run.stderr[0]).toBe(`sockscope: cannot read ${dir}: it is not a file (BAD_OPTION)`)
  })

  it('web: opens with the files listed in hello, to open at start, and serves them', async () => {
    // Stale is fine (web serves it and says so); only a missing build must be made.
    if (!buildStatus(RENDERER_OUTPUTS).ok && !fs.existsSync(RENDERER_OUTPUTS[0]!)) await runBuild()
    const file = path.join(dir, 'server.ndjson')
    const web = runCli(['web', '--port', '0', file])
    running.push(web)
    const port = Number((await web.line(/^Sockscope web UI: http:\/\/127\.0\.0\.1:(\d+)\/$/, 60_000))[1])
    await web.line(/^Opens server\.ndjson in the page\.$/)
    const ws = new WebSocket(`ws://127.0.0.1:${port}${API_PATH}`, { origin: `http://127.0.0.1:${port}` })
    const hello = HostMessageSchema.parse(JSON.parse(String(await new Promise((resolve, reject) => (ws.once('message', resolve), ws.once('error', reject))))))
    ws.close()
    expect(hello).toMatchObject({ type: 'hello', openAtStart: true, recordings: [{ index: 0, name: 'server.ndjson', bytes: fs.statSync(file).size }] })
    const res = await fetch(`http://127.0.0.1:${port}${RECORDINGS_PATH}0`)
    expect(res.headers.get('content-length')).toBe(String(fs.statSync(file).size))
    expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(file))).toBe(true)
    web.child.kill('SIGINT')
    expect((await web.exited).code).toBe(0)
  }, 120_000)
})

describe('what sockscope app hands to Electron', () => {
  it('passes the files as --open=PATH flags, read back beside the lab’s caps and Electron’s own flags', () => {
    const files = ['/traces/a run.ndjson', '/traces/--weird.ndjson']
    const limits = { ...DEFAULT_LAB_LIMITS, servers: 3 }
    const argv = ['/repo', ...labLimitArgs(limits), ...openArgs(files), '--enable-logging', '--inspect=9229']
    expect(appOptionsFromArgv(argv.slice(1))).toEqual({ limits, files })
    expect(appOptionsFromArgv([])).toEqual({ limits: DEFAULT_LAB_LIMITS, files: [] })
  })
})
