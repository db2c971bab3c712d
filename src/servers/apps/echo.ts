import { type App, receive, send } from './app.ts'

/** The seeds' echo service: every chunk received goes straight back. */
export const echoApp: App = {
  name: 'echo',
  summary: 'send every chunk back unchanged (seeds 000, 001, 004)',
  options: [],
  *handle() {
    while (true) {
      const data = yield* receive(1024)
      if (data.byteLength === 0) return
      yield send(data)
    }
  },
}
