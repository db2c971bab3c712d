import { type App, type AppContext, type Handler, phase, served } from '../apps/app.ts'

/**
 * How a connection's handler is dressed: plain (the app itself, as the seeds' hand-written
 * servers run it), or socketserver's BaseRequestHandler, whose constructor runs
 * `self.setup()`, then `try: self.handle() finally: self.finish()` (seeds 000, 003).
 */
export type HandlerStyle = 'plain' | 'socketserver'

export function connectionHandler(style: HandlerStyle, app: App, ctx: AppContext, delayMs: number): Handler {
  return style === 'socketserver' ? baseRequestHandler(app, ctx, delayMs) : served(app, ctx, delayMs)
}

function* baseRequestHandler(app: App, ctx: AppContext, delayMs: number): Handler {
  yield phase('setup', 'begin')
  yield phase('setup', 'end')
  try {
    yield phase('handle', 'begin')
    try {
      // Seed 003's class-server: handle() sleeps first (the simulated work), then serves.
      yield* served(app, ctx, delayMs)
    } finally {
      yield phase('handle', 'end')
    }
  } finally {
    yield phase('finish', 'begin')
    yield phase('finish', 'end')
  }
}
