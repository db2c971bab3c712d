/**
 * A server host process: one per running server, so that a crash, a blocking sleep or a
 * busy handler never freezes the lab or the UI, and the OS sees a real server process.
 */
import { findApp } from '../apps/index.ts'
import type { EventEmitter } from '../emitter.ts'
import type { RunningServer } from '../models/model.ts'
import { findModel } from '../models/index.ts'
import { createProcessEmitter, runChildProcess, sendToLab } from './child-channel.ts'
import type { LabToChild } from './protocol.ts'

let emitter: EventEmitter | undefined
let running: RunningServer | undefined

runChildProcess<Extract<LabToChild, { type: 'start-server' }>>('start-server', {
  async start({ run, spec }) {
    emitter = createProcessEmitter('server', run)
    running = await findModel(spec.model).start({ emitter, app: findApp(spec.app), spec })
    emitter.flush()
    await sendToLab({ type: 'ready', host: running.host, ports: running.ports })
    // A spare that fails to boot is reported when a connection takes it: warm all the same.
    await running.warm?.catch(() => {})
    await sendToLab({ type: 'warm' })
  },
  async stop() {
    await running?.stop()
    emitter?.flush()
    await sendToLab({ type: 'events', events: [], upTo: emitter?.clock.nowUs() ?? 0 })
  },
})
