import type { CloseInfo, ConnectionTrack } from '../../renderer/model/derive.ts'
import type { ExportModel } from './model.ts'

/**
 * A recording as CSV, one row per connection, in the timeline's order. Times are seconds
 * since the recording's zero with µs precision; durations are seconds too. An empty field
 * is one the traces do not tell (a client-only trace has no accept).
 */

export const CSV_COLUMNS = [
  'connection',
  'number',
  'client_port',
  'server_run',
  'server_model',
  'server_port',
  'connect_s',
  'accept_s',
  'waited_s',
  'served_s',
  'closed_s',
  'bytes_client_to_server',
  'bytes_server_to_client',
  'closed_by',
] as const

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, a CR or LF, or edge spaces; quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  const text = String(value)
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export const csvRow = (fields: readonly (string | number | null | undefined)[]) => fields.map(csvField).join(',')

const seconds = (us: number | null) => (us === null ? null : (us / 1e6).toFixed(6))

/**
 * Who ended the connection: the side whose close was its own (or an error's), not the
 * peer's EOF; if both closed on their own, the first. `(reset)` when it ended with an RST.
 */
export function whoClosed(c: Pick<ConnectionTrack, 'serverClose' | 'clientClose'>): { side: 'client' | 'server' | null; close: CloseInfo | null; reset: boolean } {
  const s = c.serverClose
  const k = c.clientClose
  const own = (x: CloseInfo | null) => x !== null && x.by !== 'peer'
  let side: 'client' | 'server' | null = null
  if (own(k) && (!own(s) || k!.t <= s!.t)) side = 'client'
  else if (own(s)) side = 'server'
  else if (k && s) side = k.t <= s.t ? 'server' : 'client' // each saw the other's EOF: the first to see it was closed on by the other
  else if (k) side = 'server'
  else if (s) side = 'client'
  const close = side === 'client' ? (own(k) ? k : s) : side === 'server' ? (own(s) ? s : k) : null
  const reset = (s?.reset ?? null) !== null || (k?.reset ?? null) !== null
  return { side, close, reset }
}

export function toCsv(m: ExportModel): string {
  const servers = new Map(m.servers.map((s) => [s.run, s]))
  const rows = [csvRow(CSV_COLUMNS)]
  const order = [...m.connections].sort((a, b) => (a.serverRun ?? '').localeCompare(b.serverRun ?? '') || (m.connIndex.get(a.key) ?? 0) - (m.connIndex.get(b.key) ?? 0))
  for (const c of order) {
    const server = c.serverRun !== null ? servers.get(c.serverRun) : undefined
    const bytes = (kind: 'send' | 'recv', side: 'client' | 'server') => {
      const marks = c.marks.filter((mark) => mark.kind === kind && mark.side === side)
      return marks.length ? marks.reduce((sum, mark) => sum + mark.bytes, 0) : null
    }
    // What left the sender, where its trace is there; else what reached the receiver.
    const up = bytes('send', 'client') ?? bytes('recv', 'server') ?? 0
    const down = bytes('send', 'server') ?? bytes('recv', 'client') ?? 0
    const firstServed = c.marks.find((mark) => mark.side === 'server' && (mark.kind === 'recv' || mark.kind === 'send'))?.t ?? null
    const closed = whoClosed(c)
    const closedT = closed.close?.t ?? minOf(c.serverCloseT, c.clientCloseT)
    rows.push(
      csvRow([
        c.key,
        m.connIndex.get(c.key) ?? null,
        c.clientPort,
        c.serverRun,
        server?.model,
        c.serverPort,
        seconds(c.connectT),
        seconds(c.acceptT),
        c.connectT !== null && c.acceptT !== null ? seconds(c.acceptT - c.connectT) : null,
        firstServed !== null && c.serverCloseT !== null ? seconds(c.serverCloseT - firstServed) : null,
        seconds(closedT),
        up,
        down,
        closed.side ? `${closed.side}${closed.reset ? ' (reset)' : ''}` : null,
      ]),
    )
  }
  return rows.join('\n') + '\n'
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}
