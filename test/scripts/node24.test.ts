import { execFileSync, spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createProcessSource } from '../../src/servers/os/index.ts'
import { isAlive, waitUntil } from '../helpers/lab-run.ts'
import { noServerLeftOn } from '../helpers/ports.ts'

/**
 * `npm start`, `npm test` and the `sockscope` command go through scripts/node24.mjs, so that
 * a machine whose `node` is older than 24 still runs them (with Node 24 from the npm registry).
 */
const root = path.join(import.meta.dirname, '../..')
const launcher = path.join(root, 'scripts/sockscope.mjs')
const version = (JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root, encoding: 'utf8' })) as { version: string }).version

/** A Node older than 24 on this machine, if there is one (Debian's is 20). */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    const run = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' })
    if (run.status === 0 && Number(run.stdout.split('.')[0]) < 24) return candidate
  }
  return undefined
}

describe('scripts/sockscope.mjs (the sockscope command)', () => {
  it('runs the CLI in-process under Node 24', () => {
    const run = spawnSync(process.execPath, [launcher, '--version'], { encoding: 'utf8' })
    expect({ status: run.status, out: run.stdout.trim(), err: run.stderr }).toEqual({ status: 0, out: version, err: '' })
  })

  const older = olderNode()
  it.skipIf(!older)(`runs the CLI under Node 24 when started by an older Node${older ? '' : ' (skipped: no Node older than 24 on this machine)'}`, () => {
    const run = spawnSync(older!, [launcher, 'serve', '--model', 'forky'], { encoding: 'utf8', timeout: 120_000 })
    // The CLI itself answered (under Node 24): its one-line error, its exit code.
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/^sockscope: --model must be one of .*, not 'forky' \(BAD_OPTION\)$/m)
    expect(run.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION')
  }, 120_000)

  // The launcher is one process more between a script and the lab: a signal sent to it
  // alone must reach the lab, and the lab must notice when the launcher is gone.
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGKILL'] as const) {
    it.skipIf(!older)(`${signal} to the launcher alone ends the lab under it, its server and handlers, and frees the port`, async () => {
      const launcher = spawn(older!, [path.join(root, 'scripts/sockscope.mjs'), 'serve', '--model', 'fork', '--port', '0', '--delay', '30', '-q'], {
        cwd: root,
        detached: true,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      try {
        let out = ''
        launcher.stdout!.on('data', (chunk) => (out += chunk))
        expect(await waitUntil(() => /listening on 127\.0\.0\.1:\d+/.test(out), 60_000)).toBe(true)
        const port = Number(out.match(/listening on 127\.0\.0\.1:(\d+)/)![1])
        const held = net.connect({ port, host: '127.0.0.1' }, () => held.write('x'))
        held.on('error', () => {})
        const source = createProcessSource()
        let tree = await source.read([launcher.pid!], new Map(), { sockets: false })
        for (let i = 0; i < 200 && !tree.some((p) => p.command.includes('fork-child')); i++) {
          await new Promise((r) => setTimeout(r, 50))
          tree = await source.read([launcher.pid!], new Map(), { sockets: false })
        }
        // The launcher (old Node), the lab (Node 24), its server host, a forked handler.
        expect(tree.map((p) => p.command).join(' | ')).toMatch(/sockscope\.mjs serve.*server-host.*fork-child/)
        launcher.kill(signal)
        expect(await waitUntil(() => tree.every((p) => !isAlive(p.pid)), 5000)).toBe(true)
        expect(await noServerLeftOn(port)).toBe(true)
        held.destroy()
      } finally {
        try {
          process.kill(-launcher.pid!, 'SIGKILL')
        } catch {}
      }
    }, 120_000)
  }
})
