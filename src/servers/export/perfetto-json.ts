import type { PerfettoTrace } from './perfetto.ts'

/**
 * A Perfetto trace's JSON, a line per trace event, so that a large one is written in
 * pieces (a file, a download's Blob parts), never one huge string.
 */
export function* perfettoJsonPieces(trace: PerfettoTrace): Generator<string> {
  yield '{"traceEvents":[\n'
  let first = true
  for (const e of trace.traceEvents) {
    yield (first ? '' : ',\n') + JSON.stringify(e)
    first = false
  }
  yield `\n],"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)}}\n`
}
