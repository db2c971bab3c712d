#!/usr/bin/env node
// The `sockscope` command (package.json "bin"): the CLI in src/servers/cli, under Node 24.
import { fileURLToPath } from 'node:url'
import { runUnderNode24 } from './node24.mjs'

await runUnderNode24(fileURLToPath(new URL('../src/servers/cli/sockscope.ts', import.meta.url)), process.argv.slice(2))
