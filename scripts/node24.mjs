#!/usr/bin/env node
/**
 * Runs a script under Node 24 or newer, whatever `node` is on the PATH.
 *
 *   node scripts/node24.mjs <script> [args...]
 *
 * Sockscope's sources are TypeScript that Node 24 runs as they are (type stripping), and
 * Electron 45 embeds Node 24. Many machines still ship an older Node: there, rather than
 * fail with ERR_UNKNOWN_FILE_EXTENSION, this fetches Node 24 from the npm registry once
 * (`npx node@24`, cached by npm) and runs the script with it. Plain JavaScript, so that
 * any Node that can run npm can run it.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const NEEDED = 24
/** Where the Node 24 binary's path is kept between runs (npm keeps the binary itself). */
const CACHE = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', 'node_modules', '.cache', 'sockscope', 'node24-path')

/** The path of a Node 24 binary: fetched once with `npx node@24`, then remembered. */
function node24Binary() {
  try {
    const cached = readFileSync(CACHE, 'utf8').trim()
    if (cached && existsSync(cached)) return cached
  } catch {}
  console.error(`sockscope: Node ${process.versions.node} is older than the ${NEEDED} Sockscope needs; fetching Node ${NEEDED} from the npm registry once (npx node@${NEEDED}).`)
  let found
  try {
    // From outside the project: inside it, npm would check this project's engines against
    // the old Node and print an EBADENGINE warning for it, twice, about a Node it won't use.
    found = execFileSync('npx', ['--yes', `node@${NEEDED}`, '-p', 'process.execPath'], { cwd: os.tmpdir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32' }).trim()
  } catch (err) {
    console.error(`sockscope: could not get Node ${NEEDED} through npx (${err.message}). Install Node ${NEEDED} or newer: https://nodejs.org`)
    process.exit(1)
  }
  try {
    mkdirSync(path.dirname(CACHE), { recursive: true })
    writeFileSync(CACHE, found + '\n')
  } catch {}
  return found
}

export async function runUnderNode24(script, args) {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= NEEDED) {
    // In this process: the script sees the argv it would see if started directly.
    process.argv = [process.execPath, script, ...args]
    await import(pathToFileURL(path.resolve(script)).href)
    return
  }
  const node = node24Binary()
  // One child, the Node 24 binary itself (not npx's chain of shells), so signals reach it.
  // It is told this process is only its launcher: if this one dies (SIGKILL leaves no time
  // to say so), its parent changes, and Sockscope's lab takes that as its cue to stop.
  const child = spawn(node, [script, ...args], { stdio: 'inherit', env: { ...process.env, SOCKSCOPE_LAUNCHER_PID: String(process.pid) } })
  // The child stops what it started before it exits: wait for that, passing on what was
  // sent to this process alone. Ctrl-C and a terminal's hangup reach the whole foreground
  // group, the child included; a second SIGINT would be one too many for some scripts.
  process.on('SIGINT', () => {
    if (!inForegroundGroup()) child.kill('SIGINT')
  })
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('error', (err) => {
    console.error(`sockscope: could not start Node ${NEEDED} (${node}): ${err.message}. Install Node ${NEEDED} or newer: https://nodejs.org`)
    process.exit(1)
  })
  // As a shell reports a death by signal: 128 + its number.
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)))
}

/**
 * Whether this process is in its terminal's foreground process group, where a Ctrl-C
 * reaches every process (Linux: /proc/self/stat's pgrp and tpgid). Elsewhere: assume so.
 */
function inForegroundGroup() {
  if (process.platform !== 'linux') return true
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is field 3 of proc(5): pgrp is field 5, tpgid field 8.
    return fields[5] !== '-1' && fields[2] === fields[5]
  } catch {
    return true
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [script, ...args] = process.argv.slice(2)
  if (!script) {
    console.error('usage: node scripts/node24.mjs <script> [args...]')
    process.exit(2)
  }
  await runUnderNode24(script, args)
}
