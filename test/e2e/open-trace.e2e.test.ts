import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { DrawnLane } from '../../src/renderer/timeline/drawn.ts'
import { REPO_ROOT } from '../../src/servers/web/artifacts.ts'
import { cli, runCli } from '../helpers/cli.ts'
import { type BrowserPage, drawnTimeline, haveChromium, openPage, screenshot, until, useLabPage } from './browser.ts'

/**
 * Recorded trace files opened in the app (web mode, Chromium): a fork run recorded by the
 * CLI (a server's trace and its clients'), opened through the file input and drawn as the
 * live run would be; bad files named with their line; the live lab kept out meanwhile and
 * back, complete, on Back to live.
 */

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sockscope-open-e2e-'))
const serverTrace = path.join(tmp, 'fork-server.ndjson')
const clientTrace = path.join(tmp, 'clients.ndjson')
const CLIENTS = 4

let page: Page

const timeline = () => drawnTimeline(page)
const lanes = async (kind: string): Promise<DrawnLane[]> => ((await timeline())?.lanes ?? []).filter((l) => l.kind === kind)
const text = (id: string) => page.getByTestId(id).innerText()

describe.skipIf(!haveChromium)('opening recorded traces (Chromium)', { timeout: 90_000 }, () => {
  useLabPage(
    {
      before: async () => {
        // A real fork run, recorded by the CLI as a person would: each child sleeps 0.5 s, then echoes.
        const serve = runCli(['serve', '--model', 'fork', '--app', 'echo-time', '--port', '0', '--delay', '0.5', '--trace', serverTrace])
        const [, port] = await serve.line(/^listening on 127\.0\.0\.1:(\d+)$/)
        const clients = await cli(['clients', '--port', port!, '--count', String(CLIENTS), '--words', 'Hello network world', '--trace', clientTrace])
        expect(clients.code).toBe(0)
        const exits = () => serve.stdout.filter((l) => / exit .*child pid \d+ code 0/.test(l)).length
        while (exits() < CLIENTS) await new Promise((resolve) => serve.child.stdout!.once('data', resolve))
        serve.child.kill('SIGINT')
        expect((await serve.exited).code).toBe(0)
      },
      after: () => rmSync(tmp, { recursive: true, force: true }),
    },
    (lab) => ({ page } = lab),
  )

  it('opens a server’s and its clients’ traces as one recording: a lane per connection, the children, the client workload’s connects first', async () => {
    await until('the lab connection', () => text('lab-status'), (t) => t.includes('connected'))
    await page.getByTestId('open-trace').setInputFiles([serverTrace, clientTrace])
    await page.getByTestId('recording-banner').waitFor()
    const summary = await text('recording-summary')
    const events = readFileSync(serverTrace, 'utf8').trimEnd().split('\n').length - 1 + readFileSync(clientTrace, 'utf8').trimEnd().split('\n').length - 1
    expect(summary).toBe(`fork-server.ndjson + clients.ndjson · ${events.toLocaleString('en-US')} events`)
    const conns = await until('a lane per connection', () => lanes('conn'), (l) => l.length === CLIENTS)
    // Each connection lane: its client's connect before the server's accept (one time axis), served by a child of its own.
    const children = await until('a lane per child process', () => lanes('process'), (l) => l.filter((p) => p.sublabel.startsWith('child')).length === CLIENTS)
    const forkPids = readFileSync(serverTrace, 'utf8').split('\n').filter((l) => l.includes('"kind":"fork"')).map((l) => JSON.parse(l).childPid as number)
    expect(children.map((c) => c.pid).sort()).toEqual(forkPids.sort())
    for (const c of conns) {
      expect(c.acceptT).not.toBeNull()
      expect(c.phases.map((p) => p.kind)).toContain('queued')
      expect(c.phases.some((p) => p.kind === 'blocked' && p.on === 'sleep')).toBe(true)
      expect(c.closes.map((x) => x.side).sort()).toEqual(['client', 'server'])
    }
    // The server's own times stay as in its file: its zero is the recording's.
    const firstServerT = JSON.parse(readFileSync(serverTrace, 'utf8').split('\n')[1]!).t as number
    expect((await timeline())!.origin).toBeLessThanOrEqual(firstServerT)
    expect(await page.getByTestId('save-trace').isVisible()).toBe(true)
    await screenshot(page, 'open-trace-01-fork-recording.png')
  })

  it('says which file and which line is wrong, and keeps the recording shown', async () => {
    const header = readFileSync(serverTrace, 'utf8').split('\n')[0]!
    const garbage = path.join(tmp, 'garbage.ndjson')
    const newer = path.join(tmp, 'newer.ndjson')
    const torn = path.join(tmp, 'wrong-field.ndjson')
    writeFileSync(garbage, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x0a]))
    writeFileSync(newer, `${header.replace('"version":2', '"version":4')}\n`)
    const lines = readFileSync(serverTrace, 'utf8').split('\n')
    writeFileSync(torn, [lines[0], lines[1], lines[2]!.replace(/"pid":\d+/, '"pid":"seven"'), ''].join('\n'))
    await page.getByTestId('open-trace').setInputFiles([garbage, newer, torn])
    const problems = await until('the three messages', () => page.getByTestId('open-problem').allInnerTexts(), (p) => p.length === 3)
    expect(problems).toEqual([
      'garbage.ndjson, line 1: the first line is not JSON, so this is not a Sockscope trace',
      'newer.ndjson, line 1: the header says it is trace version 4, from a newer Sockscope; this Sockscope reads versions 1, 2 and 3',
      expect.stringMatching(/^wrong-field\.ndjson, line 3: (not an event|a \w+ event whose field src\.pid is wrong): .*expected (number|int), received string$/),
    ])
    expect(await text('open-problems')).toContain('The recording shown is unchanged.')
    expect(await text('recording-summary')).toMatch(/^fork-server\.ndjson \+ clients\.ndjson · /)
    expect(await lanes('conn')).toHaveLength(CLIENTS)
    await screenshot(page, 'open-trace-02-bad-files.png')
    await page.getByTestId('dismiss-open-problems').click()
    await page.getByTestId('open-problems').waitFor({ state: 'detached' })
  })

  it('Save trace downloads the recording as one trace file; reopened, it draws the same lanes', async () => {
    const before = (await lanes('conn')).map((l) => ({ conn: l.conn, acceptT: l.acceptT, phases: l.phases.map((p) => p.kind) }))
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-trace').click()])
    expect(download.suggestedFilename()).toBe('fork-server-merged.ndjson')
    const saved = path.join(tmp, 'saved.ndjson')
    await download.saveAs(saved)
    const header = JSON.parse(readFileSync(saved, 'utf8').split('\n')[0]!)
    expect(header).toMatchObject({ format: 'sockscope-trace', version: 2, command: 'sockscope (saved from the app)', ended: 'clean', originNs: JSON.parse(readFileSync(serverTrace, 'utf8').split('\n')[0]!).originNs })
    await page.getByTestId('open-trace').setInputFiles([saved])
    await until('the saved file', () => text('recording-summary'), (s) => s.startsWith('saved.ndjson · '))
    const after = await until('the same lanes', () => lanes('conn'), (l) => l.length === CLIENTS)
    expect(after.map((l) => ({ conn: l.conn, acceptT: l.acceptT, phases: l.phases.map((p) => p.kind) }))).toEqual(before)
  })

  it('a file dropped on the window: the overlay says what will happen, and the drop opens it', async () => {
    const transfer = await page.evaluateHandle((content) => {
      const dt = new DataTransfer()
      dt.items.add(new File([content], 'dropped.ndjson'))
      return dt
    }, readFileSync(serverTrace, 'utf8'))
    await page.dispatchEvent('body', 'dragenter', { dataTransfer: transfer })
    expect(await text('drop-overlay')).toContain('Drop trace files to open them')
    await page.dispatchEvent('body', 'drop', { dataTransfer: transfer })
    await page.getByTestId('drop-overlay').waitFor({ state: 'detached' })
    await until('the dropped file', () => text('recording-summary'), (s) => s.startsWith('dropped.ndjson · '))
    // The server's file alone: its connections, from the server's side.
    await until('its connections', () => lanes('conn'), (l) => l.length === CLIENTS)
  })

  it('keeps the live lab out while a recording is shown, and Back to live shows the live session complete', async () => {
    await page.getByTestId('back-to-live').click()
    await page.getByTestId('recording-banner').waitFor({ state: 'detached' })
    await until('the lab connection', () => text('lab-status'), (t) => t.includes('connected'))
    await until('an empty live timeline', () => lanes('conn'), (l) => l.length === 0)
    // A live run, then a recording opened while it goes on.
    await page.getByTestId('run-demo').click()
    await until('the live demo’s 8 connections', () => lanes('conn'), (l) => l.length === 8)
    await page.getByTestId('open-trace').setInputFiles([serverTrace, clientTrace])
    await page.getByTestId('recording-banner').waitFor()
    const recorded = new Set(readFileSync(serverTrace, 'utf8').split('\n').filter((l) => l.includes('"kind":"accept"')).map((l) => JSON.parse(l).conn as string))
    await until('the recording’s connections alone', () => lanes('conn'), (l) => l.length === CLIENTS && l.every((c) => recorded.has(c.conn!)))
    // The demo's children sleep 5 s and go on meanwhile: none of their events reach the recording.
    await until('the demo’s workload finished', () => page.$$eval('[data-testid=run-row]', (rs) => rs.map((r) => (r as HTMLElement).dataset.state)), (s) => s.includes('finished'), 30_000)
    const after = await lanes('conn')
    expect(after).toHaveLength(CLIENTS)
    expect(after.every((c) => recorded.has(c.conn!))).toBe(true)
    await page.getByTestId('back-to-live').click()
    const live = await until('the live session again, all of it', () => lanes('conn'), (l) => l.length === 8 && l.every((c) => c.serverCloseT !== null && c.clientCloseT !== null))
    expect(live.some((c) => recorded.has(c.conn!))).toBe(false)
    await page.getByTestId('stop-all').click()
  })

  it('recent files open again in one click (web mode keeps them in the browser)', async () => {
    await page.getByTestId('recent-traces').click()
    const names = await page.getByTestId('recent-trace').allInnerTexts()
    expect(names.map((n) => n.split('\n')[0]!.trim())).toEqual(expect.arrayContaining(['fork-server.ndjson', 'clients.ndjson', 'dropped.ndjson']))
    await page.getByTestId('recent-trace').filter({ hasText: 'clients.ndjson' }).click()
    await until('the recent file', () => text('recording-summary'), (s) => s.startsWith('clients.ndjson · '))
    // The clients' side alone: a lane per connection all the same.
    await until('its connections', () => lanes('conn'), (l) => l.length === CLIENTS)
  })

  it('sockscope web FILE...: the page opens the host’s files at start, with no live run', async () => {
    const host = spawn(process.execPath, ['src/servers/cli/sockscope.ts', 'web', '--port', '0', serverTrace, clientTrace], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise((resolve) => host.once('exit', resolve))
    let other: BrowserPage | undefined
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        host.stdout!.on('data', (chunk) => {
          out += chunk
          const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)
          if (m) resolve(m[1]!)
        })
        host.stderr!.on('data', (chunk) => (out += chunk))
        host.once('exit', (code) => reject(new Error(`sockscope web exited (${code}): ${out}`)))
      })
      other = await openPage(url)
      const p = other.page
      await p.getByTestId('recording-banner').waitFor()
      expect(await p.getByTestId('recording-summary').innerText()).toMatch(/^fork-server\.ndjson \+ clients\.ndjson · /)
      await until('a lane per connection', async () => ((await drawnTimeline(p))?.lanes ?? []).filter((l) => l.kind === 'conn').length, (n) => n === CLIENTS)
      expect(await p.$$eval('[data-testid=run-row]', (rs) => rs.length)).toBe(0)
      expect(other.pageErrors).toEqual([])
    } finally {
      await other?.close()
      host.kill('SIGTERM')
      await exited
    }
  })
})
