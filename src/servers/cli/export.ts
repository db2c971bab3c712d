import { open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Command, Option } from 'commander'
import { osErrorWords, SockscopeError } from '../errors.ts'
import { toCsv } from '../export/csv.ts'
import { loadRecording } from '../export/load.ts'
import { buildModel } from '../export/model.ts'
import { toPerfetto } from '../export/perfetto.ts'
import { perfettoJsonPieces } from '../export/perfetto-json.ts'
import { fail, ignoreClosedOutput } from './common.ts'

export const EXPORT_FORMATS = ['perfetto', 'csv'] as const

/** Write `pieces` to `out` ('-': stdout); a regular file is written beside itself and renamed, so a failed export leaves none half-written. */
async function writeOut(out: string, pieces: Iterable<string>): Promise<void> {
  if (out === '-') {
    for (const piece of pieces) if (!process.stdout.write(piece)) await new Promise((r) => process.stdout.once('drain', r))
    return
  }
  // Only a regular file (or a new one) is replaced by a rename: a device or a pipe (/dev/null, a FIFO) is written as it is.
  const existing = await stat(out).catch(() => null)
  const direct = existing !== null && !existing.isFile()
  const partial = direct ? out : path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.partial`)
  let file
  try {
    file = await open(partial, 'w')
  } catch (err) {
    throw new SockscopeError('BAD_OPTION', `cannot write -o ${out}: ${osErrorWords(err)}`)
  }
  try {
    let batch: string[] = []
    let size = 0
    for (const piece of pieces) {
      batch.push(piece)
      size += piece.length
      if (size > 1 << 20) {
        await file.write(batch.join(''))
        batch = []
        size = 0
      }
    }
    await file.write(batch.join(''))
    await file.close()
    if (!direct) await rename(partial, out)
  } catch (err) {
    await file.close().catch(() => {})
    if (!direct) await rm(partial, { force: true })
    throw new SockscopeError('BAD_OPTION', `cannot write -o ${out}: ${osErrorWords(err)}`)
  }
}

export function exportCommand(): Command {
  return new Command('export')
    .description('export recorded traces (--trace files of one run) for Perfetto / chrome://tracing, or as CSV')
    .argument('<file...>', "trace files of one run (a server's and a client's), merged on one time axis by their headers' originNs")
    .addOption(new Option('-f, --format <format>', 'perfetto: Chrome Trace Event JSON; csv: one row per connection').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption('-o, --output <file>', "where to write ('-' for stdout)")
    .addHelpText(
      'after',
      `
Perfetto: one process track per real process (server, forked children, client driver),
a track per connection with its phases (accept queue, starting, running, blocked on
recv / send / sleep / lock, ready) as slices, recv / send as instants with bytes and
preview, zombie intervals on each child's track, and flow arrows from a fork to its child
and from each send to the recv that took it. Open it at https://ui.perfetto.dev or in
chrome://tracing.

CSV columns: connection, number, client_port, server_run, server_model, server_port,
connect_s, accept_s, waited_s (accept − connect), served_s (first server recv or send →
server close), closed_s, bytes_client_to_server, bytes_server_to_client, closed_by
(client or server, "(reset)" when it ended with an RST). Times are seconds since the
recording's zero (the earliest file's origin).

Examples:
  sockscope serve --model fork --delay 1 --port 50007 --trace server.ndjson
  sockscope clients --port 50007 --count 3 --trace clients.ndjson
  sockscope export server.ndjson clients.ndjson --format perfetto -o run.json
  sockscope export server.ndjson clients.ndjson --format csv -o connections.csv`,
    )
    .action(async (files: string[], opts: { format: (typeof EXPORT_FORMATS)[number]; output: string }) => {
      ignoreClosedOutput()
      try {
        const repeated = files.find((f, i) => files.findIndex((g) => path.resolve(g) === path.resolve(f)) !== i)
        if (repeated) throw new SockscopeError('BAD_OPTION', `${repeated} is given twice: its events would be counted twice`)
        for (const f of files) {
          const info = await stat(f).catch((err) => {
            throw new SockscopeError('BAD_OPTION', `cannot read ${f}: ${osErrorWords(err)}`)
          })
          if (!info.isFile()) throw new SockscopeError('BAD_OPTION', `cannot read ${f}: it is not a file`)
        }
        const recording = await loadRecording(files)
        for (const file of recording.files) {
          if (file.header.ended === 'write-failed')
            console.error(`sockscope: ${file.path}: its header says "ended":"write-failed": the run went on after the trace could no longer be written, so it stops short of the run's end`)
          if (file.truncatedLine !== null)
            console.error(`sockscope: ${file.path}, line ${file.truncatedLine}: the last line was cut off (its recorder stopped mid-write); exported the ${file.events} events before it`)
          if (file.skipped.size) {
            const total = [...file.skipped.values()].reduce((a, b) => a + b, 0)
            const kinds = [...file.skipped].map(([kind, n]) => `${kind} ×${n}`).join(', ')
            console.error(`sockscope: ${file.path}: skipped ${total} event${total === 1 ? '' : 's'} of kinds this Sockscope does not know (${kinds}), from a newer Sockscope`)
          }
        }
        const model = buildModel(recording)
        let summary: string
        if (opts.format === 'perfetto') {
          const trace = toPerfetto(model)
          await writeOut(opts.output, perfettoJsonPieces(trace))
          summary = `${trace.traceEvents.length} trace events`
        } else {
          await writeOut(opts.output, [toCsv(model)])
          summary = `${model.connections.length} rows`
        }
        const os = recording.osEvents ? `, ${recording.osEvents} OS samples left out` : ''
        const line = `exported ${recording.events.length} events of ${files.length} file${files.length === 1 ? '' : 's'} (${model.connections.length} connections, ${model.processes.length} processes${os}) to ${opts.output === '-' ? 'stdout' : opts.output}: ${summary}`
        if (opts.output === '-') console.error(line)
        else console.log(line)
      } catch (err) {
        fail(err)
      }
    })
}
