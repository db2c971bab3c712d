/**
 * `node bench/generate-trace.ts [-o FILE] [--events N] [--connections N] [--seed N]`:
 * writes a large trace (format v2) shaped as the real models emit them (see
 * trace-generator.ts): by default 1,000,000 events of 10,000 connections to a select
 * echo server, both sides, to bench/fixtures/generated/trace-1m.ndjson.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateTrace, type TraceOptions, traceHeader } from './trace-generator.ts'

export const DEFAULT_TRACE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'generated', 'trace-1m.ndjson')

/** Write a generated trace to `file` (made afresh); resolves with the number of events written. */
export async function writeTrace(file: string, options: TraceOptions = {}): Promise<number> {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const out = fs.createWriteStream(file)
  out.write(`${traceHeader()}\n`)
  let count = 0
  let chunk: string[] = []
  for (const event of generateTrace(options)) {
    chunk.push(JSON.stringify(event))
    count++
    if (chunk.length === 5000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      chunk = []
    }
  }
  if (chunk.length) out.write(`${chunk.join('\n')}\n`)
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  return count
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      output: { type: 'string', short: 'o' },
      events: { type: 'string' },
      connections: { type: 'string' },
      seed: { type: 'string' },
    },
  })
  const file = values.output ?? DEFAULT_TRACE
  const began = performance.now()
  const count = await writeTrace(file, {
    events: values.events ? Number(values.events) : undefined,
    connections: values.connections ? Number(values.connections) : undefined,
    seed: values.seed ? Number(values.seed) : undefined,
  })
  console.log(`${file}: ${count} events, ${(fs.statSync(file).size / 1e6).toFixed(0)} MB, in ${((performance.now() - began) / 1000).toFixed(1)} s`)
}
