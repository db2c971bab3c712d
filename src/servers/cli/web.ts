import { spawn } from 'node:child_process'
import path from 'node:path'
import os from 'node:os'
import { Command, InvalidArgumentError } from 'commander'
import { SockscopeError } from '../errors.ts'
import { APP_OUTPUTS, buildStatus, type BuildStatus, locateElectron, OUT_DIR, RENDERER_DIR, RENDERER_OUTPUTS, REPO_ROOT, runBuild } from '../web/artifacts.ts'
import { isLoopback, TargetPolicy } from '../web/loopback.ts'
import { TRACE_PATH } from '../web/protocol.ts'
import { DEFAULT_MAX_SESSIONS, startWebHost } from '../web/web-host.ts'
import { EXIT_AFTER_MS } from '../lab/lab.ts'
import { watchLifeline } from '../lab/lifeline.ts'
import { argumentBase, checkReadable } from '../web/recordings.ts'
import { fail, ignoreClosedOutput, numberOption, stopWhenAsked } from './common.ts'
import { addLabLimitOptions, labLimitArgs, labLimitsOf, openArgs } from './lab-limits.ts'

/**
 * `sockscope web`: the app's UI in any browser, served on 127.0.0.1 with the lab behind
 * it. `sockscope app`: the same UI in its Electron window. Both need the built UI
 * (out/); with --build they build it first when it is missing or older than the sources.
 * Beyond loopback only on purpose: another --host needs --allow-remote (and then a token
 * guards every request), and the lab's servers and clients stay on loopback unless
 * --allow-target names more.
 */
export function webCommands(): Command[] {
  const web = new Command('web')
    .description('serve the Sockscope UI and its lab on 127.0.0.1 for any browser (prints the URL, opens nothing)')
    .argument('[file...]', 'trace files to open in the page at start, instead of a live run (--trace files, or a saved session)')
    .option('--host <address>', 'address to serve on (loopback; any other needs --allow-remote)', '127.0.0.1')
    .option('-p, --port <n>', 'port to serve on (0 picks a free one)', numberOption('--port', { integer: true, max: 65535 }), 0)
    .option('--allow-remote', 'allow a --host other than loopback: other machines can then drive this lab, so a random token in the printed URL guards every request')
    .option(
      '--allow-target <address>',
      'let servers and client workloads started from the page use this address, subnet (10.0.0.0/8) or host name besides loopback; repeat or separate with commas',
      collectTargets,
    )
    .option('--max-sessions <n>', 'pages (WebSocket sessions) connected at once', numberOption('--max-sessions', { integer: true, min: 1, max: 1000 }), DEFAULT_MAX_SESSIONS)
    .option('--build', 'build the UI first if it is missing or out of date')
  addLabLimitOptions(web)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  sockscope web --port 8080                         then open the printed URL',
        '  sockscope web --host 0.0.0.0 --allow-remote       a classroom: other machines open the printed URL, token included',
        '  sockscope web --allow-target 10.0.0.0/8           the page may also start servers and clients on 10.x addresses',
        '  sockscope web server.ndjson clients.ndjson        open two traces of one run, merged on one time axis',
        '',
        `The page's Save trace downloads the live session (${TRACE_PATH}) in the format --trace writes.`,
      ].join('\n'),
    )
    .action(async (files: string[], opts) => {
      const recordings = await checkedFiles(files)
      if (!isLoopback(opts.host) && !opts.allowRemote) {
        console.error(`sockscope: --host ${opts.host} is not a loopback address: other machines could drive this lab; add --allow-remote to serve there on purpose, behind a token (NOT_ALLOWED)`)
        process.exit(2)
      }
      await ensureBuilt(RENDERER_OUTPUTS, Boolean(opts.build))
      let host
      try {
        host = await startWebHost({
          rendererDir: RENDERER_DIR,
          host: opts.host,
          port: opts.port,
          allowRemote: Boolean(opts.allowRemote),
          allowTargets: opts.allowTarget ?? [],
          maxSessions: opts.maxSessions,
          labLimits: labLimitsOf(opts),
          recordings,
        })
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        if (err instanceof SockscopeError && err.code === 'BAD_OPTION') fail(err) // a file that went away since it was checked
        const why = e.code === 'EADDRINUSE' ? `port ${opts.port} on ${opts.host} is already in use; pick another or use --port 0` : e.message
        console.error(`sockscope: cannot serve the UI: ${why}`)
        process.exit(1)
      }
      if (host.token) {
        console.error(`sockscope: warning: serving on ${opts.host}, beyond loopback: anyone who can reach this machine and has the URL below, with its token, can start servers and clients here.`)
        console.error(`sockscope: warning: the token changes on every start; servers and clients stay on loopback${opts.allowTarget ? ` and ${opts.allowTarget.join(', ')}` : ''}.`)
      }
      console.log(`Sockscope web UI: ${host.url}`)
      if (recordings.length) console.log(`Opens ${recordings.map((f) => path.basename(f)).join(', ')} in the page.`)
      if (host.token && (opts.host === '0.0.0.0' || opts.host === '::')) {
        const query = `?token=${host.token}`
        for (const address of externalAddresses()) console.log(`  from other machines: http://${address.includes(':') ? `[${address}]` : address}:${host.port}/${query}`)
      }
      console.log('Open it in a browser. Ctrl-C stops the server and everything it started.')
      stopWhenAsked(host.service.lab, () => void host.close().finally(() => process.exit(0)))
    })

  const app = new Command('app')
    .description('open the Sockscope desktop app (Electron)')
    .argument('[file...]', 'trace files to open at start, instead of a live run')
    .option('--build', 'build the app first if it is missing or out of date')
  addLabLimitOptions(app)
    .action(async (files: string[], opts) => {
      const recordings = await checkedFiles(files)
      await ensureBuilt(APP_OUTPUTS, Boolean(opts.build))
      const electron = locateElectron()
      if (!electron.ok) {
        console.error(`sockscope: the app is built (${path.relative(process.cwd(), OUT_DIR) || OUT_DIR}), but it cannot open: ${electron.problem}.`)
        console.error('  Install the binary with `npx install-electron` where downloads are allowed,')
        console.error('  or use the same UI in a browser: `npm run web` (sockscope web).')
        process.exit(1)
      }
      // The app must start as Electron, not as Node: drop a RUN_AS_NODE inherited from a shell.
      const env = { ...process.env }
      delete env.ELECTRON_RUN_AS_NODE
      const child = spawn(electron.path, [REPO_ROOT, ...labLimitArgs(labLimitsOf(opts)), ...openArgs(recordings)], { stdio: 'inherit', env })
      // Electron's main process stops its own lab on these signals (and exits within a
      // second); pass on the ones sent to us alone, and a lost parent as a hangup.
      ignoreClosedOutput()
      watchLifeline(
        (reason) => {
          child.kill(reason === 'orphaned' ? 'SIGHUP' : reason)
          setTimeout(() => child.kill('SIGKILL'), 2 * EXIT_AFTER_MS).unref()
        },
        { orphan: true },
      )
      child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
    })

  return [web, app]
}

/**
 * The FILE arguments, each checked before anything starts (one line and exit 2 for one
 * that cannot be read, as for any other bad option), as absolute paths: relative to where
 * the person typed the command (see argumentBase).
 */
async function checkedFiles(files: readonly string[]): Promise<string[]> {
  const base = argumentBase()
  const absolute = files.map((f) => path.resolve(base, f))
  try {
    for (const [i, file] of absolute.entries()) await checkReadable(file, files[i])
  } catch (err) {
    fail(err)
  }
  return absolute
}

/** --allow-target, repeated or comma-separated, each entry checked as TargetPolicy reads it. */
function collectTargets(value: string, previous: string[] = []): string[] {
  const entries = value.split(',').map((v) => v.trim()).filter(Boolean)
  try {
    new TargetPolicy(entries)
  } catch (err) {
    throw new InvalidArgumentError(err instanceof SockscopeError ? err.message : String(err))
  }
  return [...previous, ...entries]
}

function externalAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a.address)
}

async function ensureBuilt(outputs: readonly string[], build: boolean): Promise<void> {
  const status: BuildStatus = buildStatus(outputs)
  if (status.ok) return
  if (!build) {
    if (status.reason === 'stale') {
      console.error(`sockscope: note: the built UI may be out of date (${status.detail}); \`npm run build\` rebuilds it.`)
      return
    }
    console.error(`sockscope: the UI is not built (${status.detail}). Run \`npm run build\` first, or \`npm run web\`, which builds it.`)
    process.exit(1)
  }
  console.error(`sockscope: building the UI (${status.detail})…`)
  try {
    await runBuild()
  } catch (err) {
    console.error(`sockscope: ${(err as Error).message}`)
    process.exit(1)
  }
}
