import { type App, receive, send } from './app.ts'

const ECHO = Buffer.from('Echo=>')

/** Bytes of the line ending at the end of `data`: \r\n, \n, or none. */
function lineEnding(data: Uint8Array): number {
  if (data.at(-1) !== 0x0a) return 0
  return data.at(-2) === 0x0d ? 2 : 1
}

/**
 * Seed 003's reply: `Echo=>{data} at {server time}`. A line typed in telnet or nc keeps
 * its line ending at the end of the reply rather than in the middle of it. The data is
 * echoed as the bytes it was, UTF-8 or not.
 */
export const echoTimeApp: App = {
  name: 'echo-time',
  summary: "reply 'Echo=><data> at <server time>' to every chunk (seed 003)",
  options: [],
  *handle(ctx) {
    while (true) {
      const data = yield* receive(1024)
      if (data.byteLength === 0) return
      const body = data.byteLength - lineEnding(data)
      yield send(Buffer.concat([ECHO, data.subarray(0, body), Buffer.from(` at ${ctx.serverTime()}`), data.subarray(body)]))
    }
  },
}
