import type { ClientResult } from '../../host/protocol.ts'
import { runClient } from './client-run.ts'
import type { Workload, WorkloadContext } from './workload.ts'

/** What telnet sends at the end of a line (seed 002's clients are telnet sessions). */
const EOL = '\r\n'
/** A person may think for a long time: the longest wait a timer allows. */
const FOREVER_MS = 2 ** 31 - 1

/**
 * One connection, as a person at telnet: sends each line it is given (--lines first,
 * then every line pushed to it while it runs: the CLI's stdin, the UI's input box) and
 * records whatever the server sends, whenever it comes. When the input ends it shuts
 * down its sending side and reads the server's last words until the server closes.
 */
export const interactiveWorkload: Workload = {
  name: 'interactive',
  summary: 'one connection sending the lines it is given (stdin in the CLI), printing what comes back',
  options: ['lines', 'timeout'],

  async run(ctx: WorkloadContext): Promise<ClientResult[]> {
    const { spec, input, signal } = ctx
    return [
      await runClient(ctx, 1, async (connection, replies) => {
        const reading = (async () => {
          while (true) {
            const chunk = await connection.recv(FOREVER_MS)
            if (chunk.byteLength === 0) return
            replies.push(Buffer.from(chunk).toString('utf8'))
          }
        })()
        // A recv failure (a reset) ends the session; it is reported once, below.
        reading.catch(() => {})
        const lines = spec.lines[Symbol.iterator]()
        while (!signal.aborted) {
          const line = lines.next().value ?? (await input?.next())
          if (line === undefined) break
          connection.send(line + EOL)
        }
        connection.shutdownWrite()
        let timer: NodeJS.Timeout | undefined
        const lastWords = new Promise<void>((resolve) => (timer = setTimeout(resolve, spec.timeout * 1000)))
        try {
          await Promise.race([reading, lastWords])
        } finally {
          clearTimeout(timer)
        }
      }),
    ]
  },
}
