import { execFileSync, spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

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
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/^sockscope: .*'forky' is invalid/m)
    expect(run.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION')
  }, 120_000)
})
