import { startForkServer } from './fork.ts'
import type { ServerModel } from './model.ts'
import { startThreadServer } from './thread.ts'

/**
 * Python's socketserver (seeds 000, 003): the server class owns the accept loop, and each
 * connection gets a fresh handler object whose constructor calls setup(), handle(), and
 * finish() (the last even if handle() failed); each is a phase on the timeline. The
 * mixin picks the concurrency: ThreadingMixIn runs each handler in its own thread,
 * ForkingMixIn in its own child process, with the thread and fork models' machinery.
 */
export const socketserverModel: ServerModel = {
  name: 'socketserver',
  summary: 'handler classes (setup / handle / finish) on a ThreadingMixIn or ForkingMixIn server (seeds 000, 003)',
  options: ['app', 'delay', 'mixin', 'reap', 'maxChildren', 'maxThreads'],
  // Threads are never reaped: only ForkingMixIn has children to wait for (and to cap).
  optionsNeed: { reap: { mixin: 'forking' }, maxChildren: { mixin: 'forking' }, maxThreads: { mixin: 'threading' } },
  start: (ctx) => (ctx.spec.mixin === 'forking' ? startForkServer(ctx, 'socketserver') : startThreadServer(ctx, 'socketserver')),
}
