import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The scripts Sockscope starts as separate processes or threads. From a source checkout
 * they are the .ts files themselves (Node 24 strips types natively); in a bundled build
 * (electron-vite) they are emitted as .js files beside the bundle, and the bundle sets
 * SOCKSCOPE_ENTRY_DIR to that folder.
 */
export type EntryName = 'server-host' | 'client-driver' | 'fork-child' | 'thread-worker'

const SOURCE_PATHS: Record<EntryName, string> = {
  'server-host': 'host/server-host.ts',
  'client-driver': 'clients/client-driver.ts',
  'fork-child': 'models/fork-child.ts',
  'thread-worker': 'models/thread-worker.ts',
}

const here = path.dirname(fileURLToPath(import.meta.url))

export function entryPath(name: EntryName): string {
  const bundled = process.env.SOCKSCOPE_ENTRY_DIR
  if (bundled) return path.join(bundled, `${name}.js`)
  return path.join(here, SOURCE_PATHS[name])
}

/** Node flags for the processes we start: ours, not whatever test runner started us. */
export const CHILD_EXEC_ARGV = ['--disable-warning=ExperimentalWarning']

/** Where Node keeps compiled code (and stripped TypeScript) between runs of our processes. */
export const COMPILE_CACHE_DIR = path.join(os.tmpdir(), 'sockscope-compile-cache')

/**
 * The environment for processes we start. V8's compile cache cuts a forked handler's
 * start-up (several at once on two cores) from ~50 ms to ~20 ms each, which is the
 * difference between a fork server that keeps up with a burst and one that lags it.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Under Electron, fork() runs the Electron binary (process.execPath): make it plain Node.
  const asNode = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}
  return { NODE_COMPILE_CACHE: COMPILE_CACHE_DIR, ...process.env, ...asNode, ...extra }
}
