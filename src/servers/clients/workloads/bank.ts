import { SockscopeError } from '../../errors.ts'
import type { ClientResult, WorkloadVerdict } from '../../host/protocol.ts'
import type { ClientConnection } from '../client-connection.ts'
import { clients, runClient } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/** Seed 002's clients are telnet sessions. */
const EOL = '\r\n'

/** Reply lines, however the replies arrive split or joined. */
class ReplyLines {
  private pending = ''
  private readonly connection: ClientConnection

  constructor(connection: ClientConnection) {
    this.connection = connection
  }

  async next(timeoutMs: number): Promise<string> {
    while (!this.pending.includes('\n')) {
      const chunk = await this.connection.recv(timeoutMs)
      if (chunk.byteLength === 0) throw new SockscopeError('CONNECTION_RESET', `the server closed the connection${this.pending ? ` after '${this.pending}'` : ''}`)
      this.pending += Buffer.from(chunk).toString('utf8')
    }
    const at = this.pending.indexOf('\n')
    const line = this.pending.slice(0, at).replace(/\r$/, '')
    this.pending = this.pending.slice(at + 1)
    return line
  }
}

/** The balance in one of the seed's replies: `jack's money: 3` or `jack has no money!!`. */
export function balanceIn(reply: string): number | undefined {
  if (/ has no money!!$/.test(reply)) return 0
  const money = /'s money: (\d+)$/.exec(reply)
  return money ? Number(money[1]) : undefined
}

export interface AuditCounts {
  account: string
  /** The balance the auditor read before the clients started, and after they all ended. */
  before: number
  after: number
  deposits: number
  withdrawals: number
  /** No withdrawal could have found the account empty (each client's own deposits cover it). */
  predictable: boolean
}

const updates = (n: number) => `${n} update${n === 1 ? '' : 's'}`

/**
 * The audit's conclusion: if no update was lost, the balance moved by exactly
 * deposits − withdrawals. Lost updates (no lock) leave it short; a forked child's own
 * copy leaves the auditor reading a balance nobody changed.
 */
export function auditVerdict(c: AuditCounts): WorkloadVerdict {
  const counts = `${c.account} had ${c.before}; the clients made ${c.deposits} deposit${c.deposits === 1 ? '' : 's'} and ${c.withdrawals} withdrawal${c.withdrawals === 1 ? '' : 's'}`
  if (!c.predictable)
    return {
      check: 'audit',
      status: 'unknown',
      headline: `balance ${c.after}, no exact expectation`,
      detail: `${counts}, and some withdrawals may have found the account empty, so the final balance cannot be predicted.`,
      expected: null,
      actual: c.after,
    }
  const expected = c.before + c.deposits - c.withdrawals
  const off = expected - c.after
  const said = `${counts}, so it should have ${expected}; the server says ${c.after}.`
  if (off === 0) return { check: 'audit', status: 'ok', headline: `no update lost — balance ${c.after}, as expected`, detail: said, expected, actual: c.after }
  return {
    check: 'audit',
    status: 'failed',
    headline: `${off > 0 ? `${updates(off)} lost` : `${updates(-off)} too many`} — balance ${c.after}, expected ${expected}`,
    detail: said,
    expected,
    actual: c.after,
  }
}

/**
 * Seed 002's telnet sessions, automated: N clients at once, each doing --ops operations on
 * the same --account, cycling through --mix (dp, wd), one reply read per operation. An
 * auditor asks for the balance before and after (`jack:balance`, which changes nothing).
 *
 * If no update is lost, the balance moves by exactly dp − wd: with the default mix (dp,
 * dp, wd) a client's own deposits always cover its withdrawal, so no withdrawal can find
 * the account empty. The audit's last line says how far the server's answer is from it:
 * lost updates (no lock), or a forked child's separate copy.
 */
export const bankWorkload: Workload = {
  name: 'bank',
  summary: "N clients doing --ops dp/wd operations on one account, then an audit of the final balance (seed 002)",
  options: ['count', 'ops', 'mix', 'account', 'timeout'],

  async run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const { spec } = ctx
    const timeoutMs = spec.timeout * 1000
    const audit = (client: number, label: string) =>
      runClient(ctx, client, async (connection, replies) => {
        connection.send(`${spec.account}:${label}${EOL}`)
        replies.push(await new ReplyLines(connection).next(timeoutMs))
      })
    const before = await audit(0, 'balance')
    let deposits = 0
    let withdrawals = 0
    // Only when every client's running total stays ≥ 0 can no withdrawal ever find the account empty.
    let predictable = true
    const results = await clients(ctx, (client) =>
      runClient(ctx, client, async (connection, replies) => {
        const lines = new ReplyLines(connection)
        let own = 0
        let last = ''
        for (let i = 0; i < spec.ops && !ctx.signal.aborted; i++) {
          const op = spec.mix[i % spec.mix.length]!
          connection.send(`${spec.account}:${op}${EOL}`)
          last = await lines.next(timeoutMs)
          if (op === 'dp') deposits++
          else withdrawals++
          own += op === 'dp' ? 1 : -1
          if (own < 0) predictable = false
        }
        replies.push(last)
      }),
    )
    const after = await audit(spec.count + 1, 'balance')
    before.role = after.role = 'audit'
    const start = balanceIn(before.replies[0] ?? '')
    const end = balanceIn(after.replies[0] ?? '')
    if (start !== undefined && end !== undefined) {
      const verdict = auditVerdict({ before: start, after: end, deposits, withdrawals, predictable, account: spec.account })
      after.verdict = verdict
      // The CLI prints each result's replies: the audit's conclusion is its last line.
      const counts = `${start} before, +${deposits} dp, −${withdrawals} wd`
      if (verdict.expected === null) after.replies.push(`no exact expectation: ${counts}, and some withdrawals may have found the account empty`)
      else {
        const off = verdict.expected - end
        after.replies.push(`expected ${verdict.expected} (${counts}): ${off === 0 ? 'exact' : `${Math.abs(off)} update${Math.abs(off) === 1 ? '' : 's'} ${off > 0 ? 'missing' : 'too many'}`}`)
      }
    }
    return [before, ...results, after]
  },
}
