import { describe, expect, it } from 'vitest'
import { labLimitArgs, labLimitsFromArgv } from '../../../src/servers/cli/lab-limits.ts'
import { DEFAULT_LAB_LIMITS } from '../../../src/servers/lab/lab.ts'
import { startWebHost } from '../../../src/servers/web/web-host.ts'
import { RENDERER_DIR } from '../../../src/servers/web/artifacts.ts'
import { cli } from '../../helpers/cli.ts'

describe('the lab caps on the commands a page drives (web, app)', () => {
  it('passes the caps on to Electron and reads them back, beside flags of its own', () => {
    const limits = { servers: 3, workloads: 4, clients: 50 }
    expect(labLimitsFromArgv(['--no-sandbox', '.', ...labLimitArgs(limits), '--enable-logging'])).toEqual(limits)
    expect(labLimitsFromArgv([])).toEqual(DEFAULT_LAB_LIMITS)
  })

  it("a web host's lab takes --max-servers: the second server is refused, naming the flag", async () => {
    const host = await startWebHost({ rendererDir: RENDERER_DIR, port: 0, labLimits: { servers: 1 } })
    try {
      const first = await host.service.lab.startServer({ model: 'iterative', port: 0 })
      await expect(host.service.lab.startServer({ model: 'iterative', port: 0 })).rejects.toMatchObject({ code: 'LIMIT_REACHED', message: expect.stringContaining('--max-servers') })
      await host.service.lab.stopServer(first.id)
    } finally {
      await host.close()
    }
  })

  it('refuses a cap out of range, as any other bad number', async () => {
    const { code, stderr } = await cli(['web', '--max-clients', '0'])
    expect(code).toBe(2)
    expect(stderr.join('\n')).toContain("--max-clients must be an integer from 1 to 100000, not '0' (BAD_OPTION)")
  })
})
