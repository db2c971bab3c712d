import { type App, receive, send } from './app.ts'

const LINE_END = /\r?\n$/

/**
 * Seed 003's reply: `Echo=>{data} at {server time}`. A line typed in telnet or nc keeps
 * its line ending at the end of the reply rather than in the middle of it.
 */
export const echoTimeApp: App = {
  name: 'echo-time',
  summary: "reply 'Echo=><data> at <server time>' to every chunk (seed 003)",
  options: [],
  *handle(ctx) {
    while (true) {
      const data = yield* receive(1024)
      if (data.byteLength === 0) return
      const text = Buffer.from(data).toString('utf8')
      const ending = LINE_END.exec(text)?.[0] ?? ''
      yield send(`Echo=>${text.slice(0, text.length - ending.length)} at ${ctx.serverTime()}${ending}`)
    }
  },
}
