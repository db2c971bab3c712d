import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../src/servers/web/artifacts.ts'
import { drawnTimeline, haveChromium, screenshot, until, useLabPage, type WebHost } from './browser.ts'

/**
 * The OS's own process table, end to end in Debian's Chromium against web mode: a real
 * Python forking server that does not reap (test/fixtures/os/fork_server_noreap.py),
 * observed through the UI, leaves real zombies (state Z, `<defunct>`) until it is told to
 * reap; and the fork model's modelled zombies beside the kernel's view, where Node has
 * reaped them at once. Screenshots go to test-results/e2e/.
 */

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'os', 'fork_server_noreap.py')
const havePython = spawnSync('python3', ['--version']).status === 0
const linux = process.platform === 'linux'
if (!havePython) console.warn('e2e: skipped: python3 is missing')

let web: WebHost
let fixture: ChildProcess | undefined
let fixturePort = 0
let page: Page

/** The Python server, in its own process group so that it and its children can be killed together. */
async function startFixture(): Promise<void> {
  fixture = spawn('python3', [FIXTURE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
  fixturePort = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`the fixture printed no port: ${out}`)), 10_000)
    fixture!.stdout!.on('data', (chunk) => {
      out += chunk
      const m = /^(\d+)\n/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    fixture!.once('exit', (code) => reject(new Error(`the fixture exited (${code}): ${out}`)))
  })
}

const shot = (name: string) => screenshot(page, name)
const timeline = () => drawnTimeline(page)
const runRows = (): Promise<{ run: string; state: string; text: string }[]> =>
  page.$$eval('[data-testid=run-row]', (rs) => rs.map((r) => ({ run: (r as HTMLElement).dataset.run ?? '', state: (r as HTMLElement).dataset.state ?? '', text: (r as HTMLElement).innerText })))

/** The pointer off every panel: no tooltip, no hovered row, no hover line on the canvas. */
async function pointerAway(): Promise<void> {
  await page.mouse.move(10, 1070)
  await until(
    'nothing under the pointer',
    async () => ({ tooltips: await page.getByTestId('timeline-tooltip').count(), hoveredRows: await page.locator('tr:hover').count(), hoverLane: (await timeline())?.hoverLane ?? null }),
    (h) => h.tooltips === 0 && h.hoveredRows === 0 && h.hoverLane === null,
  )
}

interface ObservedRow {
  pid: number
  ppid: number
  state: string
  letter: string
  cmd: string
}
const observedRows = (): Promise<ObservedRow[]> =>
  page.$$eval('[data-testid=observed-row]', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset
      return { pid: Number(d.pid), ppid: Number(d.ppid), state: d.state ?? '', letter: d.letter ?? '', cmd: (tr.querySelector('td.cmd') as HTMLElement).innerText.trim() }
    }),
  )

interface ModelRow {
  pid: number
  kind: string
  state: string
  os: string
  diff: string
  osText: string
}
const modelRows = (): Promise<ModelRow[]> =>
  page.$$eval('[data-testid=proc-row]', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset
      const cell = tr.querySelector('[data-testid=os-cell]') as HTMLElement | null
      return { pid: Number(d.pid), kind: d.kind ?? '', state: d.state ?? '', os: d.os ?? '', diff: d.diff ?? '', osText: cell?.innerText.trim() ?? '' }
    }),
  )

/** Zombies of `pid` as the kernel lists them right now (/proc), not as the UI says. */
function kernelZombiesOf(pid: number): number[] {
  const out: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (rest[0] === 'Z' && Number(rest[1]) === pid) out.push(Number(entry))
    } catch {}
  }
  return out
}

describe.skipIf(!haveChromium || !havePython || !linux)('the OS view in web mode (Chromium)', { timeout: 120_000 }, () => {
  useLabPage(
    {
      before: startFixture,
      after: () => {
        if (fixture?.pid && fixture.exitCode === null) {
          // The server and every child it forked: one process group.
          try {
            process.kill(-fixture.pid, 'SIGKILL')
          } catch {}
        }
      },
    },
    (lab) => ({ page, web } = lab),
  )

  it('refuses what it cannot observe, and says why', async () => {
    const form = page.getByTestId('observe-form')
    await form.scrollIntoViewIfNeeded()
    await page.getByTestId('observe-pid').fill('4x2')
    expect(await page.getByTestId('observe-error').innerText()).toContain('whole number')
    expect(await page.getByTestId('observe-button').isDisabled()).toBe(true)

    // A pid no process has (pid_max is at most 2^22).
    await page.getByTestId('observe-pid').fill('99999999')
    await page.getByTestId('observe-button').click()
    const refusal = await until('the refusal', () => page.getByTestId('observe-error').innerText().catch(() => ''), (t) => t.includes('NO_SUCH_PROCESS'))
    expect(refusal).toContain('99999999')
    expect(await page.getByTestId('problem').last().innerText()).toContain('NO_SUCH_PROCESS')

    // A thread of a process (the web host's own threads): the lab names the process to observe.
    const tid = fs.readdirSync(`/proc/${web.pid}/task`).map(Number).find((t) => t !== web.pid)!
    await page.getByTestId('observe-pid').fill(String(tid))
    await page.getByTestId('observe-button').click()
    const thread = await until('the thread refusal', () => page.getByTestId('observe-error').innerText().catch(() => ''), (t) => t.includes(String(web.pid)))
    expect(thread).toMatch(/thread/)
    await page.getByTestId('observe-pid').fill('')
    while (await page.getByTestId('problem').count()) await page.locator('[data-testid=problem] button').first().click()
  })

  it('observes a real forking server that does not reap: zombies in state Z, <defunct>, until it reaps', async () => {
    const pid = fixture!.pid!
    // Pick it from the listening processes, as a user would.
    await page.getByTestId('listening-refresh').click()
    const pick = page.locator(`[data-testid=listening-row][data-pid="${pid}"]`)
    await pick.waitFor()
    expect(await pick.innerText()).toContain(`:${fixturePort}`)
    await pick.click()
    const group = page.getByTestId('observed-group')
    await group.waitFor()
    const runId = (await group.getAttribute('data-run'))!
    expect(runId).toMatch(/^o\d+$/)
    await until('the observed root', observedRows, (r) => r[0]?.pid === pid && r[0]?.letter === 'S')
    // Its listening socket, with an empty accept queue.
    const listen = page.locator(`[data-testid=socket-row][data-pid="${pid}"][data-state=LISTEN]`)
    await listen.waitFor()
    expect(await listen.innerText()).toContain(`127.0.0.1:${fixturePort}`)
    expect(await listen.getByTestId('accept-queue').innerText()).toBe('0 waiting')
    // The run list has it, with a stop button.
    expect(await page.locator(`[data-testid=run-row][data-run="${runId}"]`).innerText()).toContain('observed')

    // Clients from the UI, aimed at the observed server: each is served by a forked child that exits.
    await page.getByTestId('client-target').selectOption(runId)
    await page.getByTestId('client-workload').selectOption('burst')
    await page.getByTestId('client-count').fill('4')
    await page.getByTestId('client-words').fill('Hello')
    await page.getByTestId('run-clients').click()
    const zombies = await until('4 zombies', observedRows, (r) => r.filter((x) => x.letter === 'Z').length === 4)
    for (const z of zombies.filter((x) => x.letter === 'Z')) {
      expect(z.ppid).toBe(pid)
      expect(z.state).toBe('zombie')
      expect(z.cmd).toMatch(/^\[python3?[^\]]*\]\s*<defunct>$/)
    }
    // They are real: the kernel lists them as zombies of the fixture.
    expect(kernelZombiesOf(pid).sort()).toEqual(zombies.filter((x) => x.letter === 'Z').map((z) => z.pid).sort())
    expect(await page.getByTestId('observed-zombies').innerText()).toBe('4 zombies')

    // One more client that stays connected: a live child, asleep in recv(), with its socket.
    await page.getByTestId('client-workload').selectOption('idle')
    await page.getByTestId('client-count').fill('1')
    const hold = page.getByTestId('client-hold')
    if (await hold.count()) await hold.fill('60')
    await page.getByTestId('run-clients').click()
    const withLive = await until('a live child', observedRows, (r) => r.some((x) => x.ppid === pid && x.letter === 'S'))
    const liveChild = withLive.find((x) => x.ppid === pid && x.letter === 'S')!
    await page.locator(`[data-testid=socket-row][data-pid="${liveChild.pid}"][data-state=ESTABLISHED]`).waitFor()
    // The timeline has the observed server's group: its tree as the OS sees it, the clients' connections to it.
    const zombiePids = zombies.filter((x) => x.letter === 'Z').map((z) => z.pid)
    const drawn = (await until(
      'the observed group on the timeline, its zombies drawn',
      timeline,
      (t) =>
        !!t?.lanes.some((l) => l.key === `group:${runId}`) &&
        t.lanes.filter((l) => l.run === runId && l.kind === 'conn').length === 5 &&
        zombiePids.every((z) => t.lanes.some((l) => l.pid === z && l.phases.some((p) => p.kind === 'zombie'))),
    ))!
    const lanes = drawn.lanes.filter((l) => l.run === runId)
    expect(lanes.find((l) => l.kind === 'server')!.pid).toBe(pid)
    for (const z of zombies.filter((x) => x.letter === 'Z')) expect(lanes.find((l) => l.pid === z.pid)!.phases.map((p) => p.kind)).toContain('zombie')
    // Nothing reports the Python server's accepts: the clients' side shows them connected, not queued.
    expect(lanes.filter((l) => l.kind === 'conn').flatMap((l) => l.phases.map((p) => p.kind))).not.toContain('queued')
    await pointerAway()
    await shot('08-os-zombies.png')

    // Let the live child go (its client leaves), then tell the server to reap: every zombie goes.
    const idle = (await runRows()).filter((r) => r.run.startsWith('c') && r.state === 'running' && r.text.includes('idle'))
    expect(idle).toHaveLength(1)
    await page.getByTestId(`stop-${idle[0]!.run}`).click()
    await until('5 zombies', observedRows, (r) => r.filter((x) => x.letter === 'Z').length === 5)
    process.kill(pid, 'SIGUSR1')
    const reaped = await until('the zombies reaped', observedRows, (r) => r.filter((x) => x.ppid === pid).length === 5 && r.every((x) => x.letter !== 'Z'))
    expect(reaped.filter((x) => x.ppid === pid).every((x) => x.state === 'reaped' && x.letter === 'gone')).toBe(true)
    expect(kernelZombiesOf(pid)).toEqual([])
    expect(await page.getByTestId('observed-zombies').count()).toBe(0)

    // Stop observing: the run ends, the process goes on.
    await page.getByTestId(`stop-${runId}`).click()
    await until('observing stopped', () => page.locator(`[data-testid=run-row][data-run="${runId}"]`).getAttribute('data-state'), (s) => s === 'stopped')
    expect(fixture!.exitCode).toBeNull()
  })

  it('fork model with reap=never: the model says zombie, the OS says gone — Node reaped at once', async () => {
    await page.getByTestId('clear').click()
    await until('the observed tree cleared', () => page.getByTestId('observed-group').count(), (n) => n === 0)
    await page.getByTestId('server-model').selectOption('fork')
    await page.getByTestId('server-reap').selectOption('never')
    await page.getByTestId('server-delay').fill('1')
    await page.getByTestId('start-server').click()
    await until('the fork server', () => page.getByTestId('client-target').inputValue(), (v) => v.startsWith('s'))
    await page.getByTestId('client-workload').selectOption('burst')
    await page.getByTestId('client-count').fill('5')
    await page.getByTestId('client-words').fill('Hello network world')
    await page.getByTestId('run-clients').click()

    const rows = await until(
      '5 modelled zombies the kernel no longer lists',
      modelRows,
      (r) => r.filter((x) => x.kind === 'child').length === 5 && r.filter((x) => x.kind === 'child').every((c) => c.state === 'zombie' && c.os === 'gone'),
      30_000,
    )
    for (const child of rows.filter((x) => x.kind === 'child')) {
      expect(child.diff).toBe('modelled-zombie')
      expect(child.osText).toContain('Node reaped at once')
      expect(fs.existsSync(`/proc/${child.pid}`)).toBe(false)
    }
    // The server: alive in both views, its state letter from the kernel.
    const server = rows.find((x) => x.kind === 'server')!
    expect(server.os).toMatch(/^[RS]$/)
    expect(server.diff).toBe('')
    // Exactly the 5 children differ, once the sampler has caught up with the client
    // process too (for a sample or two it can differ as well: gone before its run says
    // it ended, or listed after).
    const children = rows.filter((x) => x.kind === 'child').map((c) => c.pid).sort()
    const settled = await until(
      'the differences: the 5 children, nothing else',
      async () => ({ badge: await page.getByTestId('os-differences').innerText().catch(() => ''), differ: (await modelRows()).filter((x) => x.diff !== '') }),
      (d) => d.badge.includes('5 differ') && d.differ.length === 5 && d.differ.every((x) => x.kind === 'child' && x.diff === 'modelled-zombie'),
      30_000,
    )
    expect(settled.differ.map((x) => x.pid).sort()).toEqual(children)
    // Why, where the ≠ marker says it (its hover text).
    const marker = page.locator('[data-testid=proc-row][data-kind=child] [data-testid=os-diff]').first()
    await marker.hover()
    expect(await marker.getAttribute('title')).toContain('until its reap policy (never) would reap it')
    await pointerAway()
    await shot('09-os-vs-model.png')

    await page.getByTestId('stop-all').click()
    await until('every run ended', runRows, (r) => r.every((x) => x.state !== 'running' && x.state !== 'stopping'))
  })
})
