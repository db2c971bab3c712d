import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the built app lives (electron-vite writes out/main, out/preload, out/renderer),
 * whether it is older than its sources, how to build it, and where the Electron binary
 * is. Web mode serves out/renderer; `sockscope app` runs out/main in Electron.
 */

const here = path.dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = path.resolve(here, '../../..')
export const OUT_DIR = path.join(REPO_ROOT, 'out')
export const RENDERER_DIR = path.join(OUT_DIR, 'renderer')

export const RENDERER_OUTPUTS = [path.join(RENDERER_DIR, 'index.html')]
export const APP_OUTPUTS = [
  ...RENDERER_OUTPUTS,
  path.join(OUT_DIR, 'main', 'index.js'),
  path.join(OUT_DIR, 'main', 'server-host.js'),
  path.join(OUT_DIR, 'preload', 'index.cjs'),
]

export type BuildStatus = { ok: true } | { ok: false; reason: 'missing' | 'stale'; detail: string }

/** Missing if any output is absent; stale if a source changed after the oldest output. */
export function buildStatus(outputs: readonly string[], sources: readonly string[] = sourceFiles()): BuildStatus {
  let oldest = Number.POSITIVE_INFINITY
  for (const output of outputs) {
    const stat = fs.statSync(output, { throwIfNoEntry: false })
    if (!stat) return { ok: false, reason: 'missing', detail: `${path.relative(REPO_ROOT, output)} does not exist` }
    oldest = Math.min(oldest, stat.mtimeMs)
  }
  for (const source of sources) {
    const stat = fs.statSync(source, { throwIfNoEntry: false })
    if (stat && stat.mtimeMs > oldest) return { ok: false, reason: 'stale', detail: `${path.relative(REPO_ROOT, source)} changed since the last build` }
  }
  return { ok: true }
}

/** The files a build is made from: everything under src/, the build config and package.json. */
export function sourceFiles(root: string = REPO_ROOT): string[] {
  const files = [path.join(root, 'electron.vite.config.ts'), path.join(root, 'package.json')]
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else files.push(full)
    }
  }
  if (fs.existsSync(path.join(root, 'src'))) walk(path.join(root, 'src'))
  return files
}

/** Run `electron-vite build` in the checkout; rejects with a readable message. */
export function runBuild(): Promise<void> {
  let bin: string
  try {
    const require = createRequire(path.join(REPO_ROOT, 'package.json'))
    bin = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js')
  } catch {
    return Promise.reject(new Error('electron-vite is not installed here, so the UI cannot be built: run `npm install` in the checkout first'))
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the build failed (electron-vite exit code ${code})`))))
  })
}

export type ElectronBinary = { ok: true; path: string } | { ok: false; problem: string }

/**
 * The Electron executable that the electron package installed, without calling the
 * package's index.js: that would try to download the binary when it is missing.
 */
export function locateElectron(env: NodeJS.ProcessEnv = process.env, root: string = REPO_ROOT): ElectronBinary {
  let pkgDir: string
  try {
    pkgDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'))
  } catch {
    return { ok: false, problem: 'the electron package is not installed (run `npm install`)' }
  }
  const pathFile = path.join(pkgDir, 'path.txt')
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : ''
  const dist = env.ELECTRON_OVERRIDE_DIST_PATH || path.join(pkgDir, 'dist')
  const binary = path.join(dist, relative || 'electron')
  if (relative && fs.existsSync(binary)) return { ok: true, path: binary }
  if (env.ELECTRON_OVERRIDE_DIST_PATH && fs.existsSync(binary)) return { ok: true, path: binary }
  return {
    ok: false,
    problem:
      `the Electron binary is not installed (${path.relative(root, binary)} is missing: its download was skipped` +
      `${env.ELECTRON_SKIP_BINARY_DOWNLOAD ? ', ELECTRON_SKIP_BINARY_DOWNLOAD is set' : ''})`,
  }
}
