import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import type { DrawnSnapshot } from '../../src/renderer/timeline/drawn.ts'
import { REPO_ROOT } from '../../src/servers/web/artifacts.ts'
import { ensureBuilt } from '../helpers/built.ts'

/**
 * What the e2e tests share: web mode (`sockscope web`) on a free port, Debian's Chromium
 * driven by playwright-core, screenshots in test-results/e2e/, polling the screen, and
 * failing a test on any error the page raised while it ran. Tests wait for conditions
 * (`until`, locator waits), never for a fixed time: a busy machine only makes them slower.
 */

export const CHROMIUM = '/usr/bin/chromium'
export const SHOTS = path.join(REPO_ROOT, 'test-results', 'e2e')
export const haveChromium = fs.existsSync(CHROMIUM)
if (!haveChromium) console.warn(`e2e: skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`)

/** `sockscope web` in a child process, serving the built app (built first if needed). */
export interface WebHost {
  pid: number
  url: string
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>
}

/** `files`: trace files to open at start (`sockscope web FILE...`). */
export async function startWeb(files: readonly string[] = []): Promise<WebHost> {
  await ensureBuilt()
  const web: ChildProcess = spawn(process.execPath, ['src/servers/cli/sockscope.ts', 'web', '--port', '0', ...files], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const stop = async () => {
    if (web.exitCode !== null || web.signalCode !== null) return
    const exited = new Promise((resolve) => web.once('exit', resolve))
    web.kill('SIGTERM')
    await exited
  }
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`sockscope web printed no URL: ${out}`)), 20_000)
    web.stdout!.on('data', (chunk) => {
      out += chunk
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    web.stderr!.on('data', (chunk) => (out += chunk))
    web.once('exit', (code) => reject(new Error(`sockscope web exited (${code}): ${out}`)))
  }).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  return { pid: web.pid!, url, stop }
}

/** Headless Chromium on `url` at 1920×1080 (or `viewport`), dark; what the page logs as errors is collected. */
export interface BrowserPage {
  page: Page
  /** Uncaught exceptions and console errors, as they come. */
  pageErrors: string[]
  /** Close the browser and remove its profile. */
  close(): Promise<void>
}

export async function openPage(url: string, viewport = { width: 1920, height: 1080 }): Promise<BrowserPage> {
  fs.mkdirSync(SHOTS, { recursive: true })
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-chromium-'))
  let context: BrowserContext | undefined
  const close = async () => {
    await context?.close()
    fs.rmSync(userDataDir, { recursive: true, force: true })
  }
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      viewport,
      colorScheme: 'dark',
    })
    const page = context.pages()[0] ?? (await context.newPage())
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.stack ?? err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text())
    })
    await page.goto(url)
    return { page, pageErrors, close }
  } catch (err) {
    await close()
    throw err
  }
}

/**
 * Make every test of the calling describe block fail on an error the page raised while it
 * ran (uncaught exceptions and console errors), so that the test which set it off reports it.
 */
export function failOnPageErrors(current: () => BrowserPage | undefined): void {
  afterEach(async () => {
    const browser = current()
    if (!browser) return
    // What the test's last actions set off lands within a frame or two.
    await painted(browser.page).catch(() => {})
    expect(browser.pageErrors.splice(0), 'errors the page raised during this test').toEqual([])
  })
}

/** Once the page has rendered what it has now: two animation frames (Vue's updates, then the canvas's draw). */
export const painted = (page: Page): Promise<void> =>
  page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))))

/** A screenshot of the page as it has rendered its current state, to test-results/e2e/`name`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await painted(page)
  await page.screenshot({ path: path.join(SHOTS, name) })
}

/** What the timeline's canvas drew last (window.__sockscope.timeline()). */
export const drawnTimeline = (page: Page) => page.evaluate(() => (globalThis as unknown as { __sockscope: { timeline(): DrawnSnapshot | null } }).__sockscope.timeline())

/** Poll the screen until `check` holds; fail with what the screen last showed. */
export async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T = await read()
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last).slice(0, 800)}`)
    await sleep(100)
    last = await read()
  }
  return last
}

/** What `useLabPage` started for the calling describe block. */
export interface LabPage {
  web: WebHost
  browser: BrowserPage
  page: Page
}

export interface LabPageOptions {
  /** Before web mode starts: record the traces it opens, start a fixture. */
  before?: () => Promise<void>
  /** Trace files web mode opens at start (`sockscope web FILE...`), read after `before`. */
  files?: () => readonly string[]
  /** Wait until the page says the lab is connected (default true). */
  waitForLab?: boolean
  /** After the browser closed, before web mode stops: kill what `before` started. */
  after?: () => Promise<void> | void
  /** For the whole set-up (default 120 s). */
  timeoutMs?: number
}

/**
 * The set-up every e2e file shares, as hooks of the calling describe block: web mode, one
 * Chromium page on it, the lab connected; any error the page raises fails the test that set it
 * off; everything stopped after. `ready` receives the session once it is up (files keep their
 * own `page` for the helpers they define at module level).
 */
export function useLabPage(options: LabPageOptions, ready: (session: LabPage) => void): void {
  let web: WebHost | undefined
  let browser: BrowserPage | undefined
  beforeAll(async () => {
    await options.before?.()
    web = await startWeb(options.files?.() ?? [])
    browser = await openPage(web.url)
    ready({ web, browser, page: browser.page })
    if (options.waitForLab ?? true) await until('the lab connection', () => browser!.page.getByTestId('lab-status').innerText(), (t) => t.includes('connected'))
  }, options.timeoutMs ?? 120_000)
  failOnPageErrors(() => browser)
  afterAll(async () => {
    await browser?.close()
    await options.after?.()
    await web?.stop()
  })
}
