import fs from 'node:fs'
import path from 'node:path'
import { SockscopeError } from '../errors.ts'

/**
 * The programs a render needs from the machine: ffmpeg (Debian's package) to encode MP4 and GIF, and a
 * browser to draw the frames with the app's own renderer (Debian's Chromium, driven by
 * playwright-core). Looked up on PATH as a shell would, so that `PATH=… sockscope render`
 * means what it says; SOCKSCOPE_CHROMIUM names a browser elsewhere.
 */

function onPath(name: string, pathVar = process.env.PATH ?? ''): string | null {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      if (fs.statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return null
}

/** ffmpeg's path, or ENCODER_MISSING saying how to install it and what works without it. */
export function findFfmpeg(pathVar?: string): string {
  const found = onPath('ffmpeg', pathVar)
  if (found) return found
  throw new SockscopeError(
    'ENCODER_MISSING',
    'ffmpeg is not installed (not found on PATH), and sockscope render encodes .mp4 and .gif with it: install it with `apt-get install ffmpeg` (Debian/Ubuntu), `dnf install ffmpeg` or `brew install ffmpeg`; a .webm video and --png FILE need no ffmpeg',
  )
}

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']

/** The browser to draw with: SOCKSCOPE_CHROMIUM, else a Chromium on PATH or in /usr/bin; BROWSER_MISSING when there is none. */
export function findBrowser(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.SOCKSCOPE_CHROMIUM
  if (named) {
    if (fs.existsSync(named)) return named
    throw new SockscopeError('BROWSER_MISSING', `SOCKSCOPE_CHROMIUM names ${named}, which does not exist`)
  }
  for (const name of CHROMIUM_NAMES) {
    const found = onPath(name, env.PATH) ?? (fs.existsSync(`/usr/bin/${name}`) ? `/usr/bin/${name}` : null)
    if (found) return found
  }
  throw new SockscopeError(
    'BROWSER_MISSING',
    'sockscope render draws each frame with the app in a headless Chromium, and found none (chromium, chromium-browser or google-chrome on PATH): install it with `apt-get install chromium`, or name one with SOCKSCOPE_CHROMIUM=/path/to/chrome',
  )
}
