/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (never in parallel: each measures
 * CPU) and prints its figures. A bench file's default export returns its results.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export interface BenchResult {
  name: string
  figures: Record<string, string | number>
}

const here = path.dirname(fileURLToPath(import.meta.url))
const only = process.argv[2]
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)))
  .sort()

let failed = false
for (const file of files) {
  console.log(`\n${file}`)
  try {
    const bench = (await import(pathToFileURL(path.join(here, file)).href)) as { default: () => Promise<BenchResult[]> }
    for (const result of await bench.default()) {
      const figures = Object.entries(result.figures).map(([k, v]) => `${k} ${v}`)
      console.log(`  ${result.name.padEnd(44)} ${figures.join('  ')}`)
    }
  } catch (err) {
    failed = true
    console.error(`  FAILED: ${err instanceof Error ? err.stack : String(err)}`)
  }
}
process.exit(failed ? 1 : 0)
