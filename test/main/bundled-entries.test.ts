import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { entryPath } from '../../src/servers/entries.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import { Lab } from '../../src/servers/lab/lab.ts'
import { OUT_DIR } from '../../src/servers/web/artifacts.ts'
import { ensureBuilt } from '../helpers/built.ts'

/**
 * The Electron build starts the lab's processes from the scripts bundled beside main
 * (out/main/*.js, found through SOCKSCOPE_ENTRY_DIR, as src/main/index.ts sets it). Run
 * them here under Node, as Electron runs them with ELECTRON_RUN_AS_NODE: a fork server
 * and a thread server, each serving a small burst through the bundled entries only.
 */
const previous = process.env.SOCKSCOPE_ENTRY_DIR

beforeAll(async () => {
  await ensureBuilt()
  process.env.SOCKSCOPE_ENTRY_DIR = path.join(OUT_DIR, 'main')
}, 120_000)

afterAll(() => {
  if (previous === undefined) delete process.env.SOCKSCOPE_ENTRY_DIR
  else process.env.SOCKSCOPE_ENTRY_DIR = previous
})

describe('the bundled lab entries', () => {
  it('are the files the lab forks', () => {
    expect(entryPath('server-host')).toBe(path.join(OUT_DIR, 'main', 'server-host.js'))
    expect(entryPath('fork-child')).toBe(path.join(OUT_DIR, 'main', 'fork-child.js'))
  })

  for (const model of ['fork', 'thread']) {
    it(`serve clients in the ${model} model`, async () => {
      const lab = new Lab()
      const events: SockscopeEvent[] = []
      lab.onEvents((batch) => events.push(...batch))
      try {
        const server = await lab.startServer({ model, app: 'echo' })
        const run = await lab.runClients({ port: server.ports[0]!, count: 2, words: ['hi'] })
        const results = await run.results
        expect(results.map((r) => r.replies)).toEqual([['hi'], ['hi']])
        await lab.stopServer(server.id)
        const spawned = events.filter((e) => e.kind === (model === 'fork' ? 'fork' : 'thread-start'))
        expect(spawned).toHaveLength(2)
      } finally {
        await lab.stop()
      }
    })
  }
})
