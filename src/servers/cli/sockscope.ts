#!/usr/bin/env node
/**
 * The sockscope command: the same lab as the app, headless.
 *
 * The compile cache goes on before anything else loads: the CLI is ~150 TypeScript files,
 * and stripping their types again on every start cost about half a second of CPU, in every
 * `sockscope` a user types and every one a test starts. The lab's own processes share the
 * same cache (childEnv in entries.ts).
 */
import { enableCompileCache } from 'node:module'
import { COMPILE_CACHE_DIR } from '../entries.ts'

enableCompileCache(process.env.NODE_COMPILE_CACHE ?? COMPILE_CACHE_DIR)
await import('./program.ts')
