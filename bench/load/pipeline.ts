/**
 * The event pipeline, end to end, at full speed: a process stamping events as a server
 * host does (pipeline-child.ts) → process IPC → the lab's ManagedProcess (check, parse) →
 * the EventMerger → the trace file (TraceWriter) and the WebSocket (the web session's
 * serialization, in messages of the lab service's size) → a page process (pipeline-
 * renderer.ts: the renderer's transport, LabClient, EventStore.append). Counts every event
 * at the trace and at the store: none may be missing.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { createClock } from '../../src/servers/clock.ts'
import type { SockscopeEvent } from '../../src/servers/events.ts'
import { EventMerger } from '../../src/servers/lab/event-merger.ts'
import { ManagedProcess } from '../../src/servers/lab/managed-process.ts'
import { TraceWriter } from '../../src/servers/trace.ts'
import { MAX_EVENTS_PER_MESSAGE } from '../../src/servers/web/lab-service.ts'
import { toText } from '../../src/servers/web/session.ts'

const here = path.dirname(fileURLToPath(import.meta.url))

export interface PipelineResult {
  events: number
  /** From the first event stamped to the last one appended to the store (ms). */
  endToEndMs: number
  /** From the first event stamped to the last one written to the trace (ms). */
  labMs: number
  traced: number
  appended: number
  invalid: number
  labCpuMs: number
}

export async function measurePipeline(count: number): Promise<PipelineResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sockscope-pipeline-'))
  const clock = createClock()
  const trace = await TraceWriter.open(path.join(dir, 'pipeline.ndjson'), { originNs: String(clock.originNs), command: 'bench' })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const port = (wss.address() as { port: number }).port
  const page = spawn(process.execPath, [path.join(here, 'pipeline-renderer.ts'), `ws://127.0.0.1:${port}/`, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [socket] = (await once(wss, 'connection')) as [import('ws').WebSocket]
  let traced = 0
  let tracedAt = 0
  const merger = new EventMerger(clock.nowUs, (batch: SockscopeEvent[]) => {
    trace.write(batch)
    traced += batch.length
    if (traced >= count) tracedAt = performance.now()
    const now = clock.nowUs()
    for (let i = 0; i < batch.length; i += MAX_EVENTS_PER_MESSAGE) socket.send(toText({ type: 'events', now, events: batch.slice(i, i + MAX_EVENTS_PER_MESSAGE) }))
  })
  const child = new ManagedProcess(path.join(here, 'pipeline-child.ts'), clock.originNs)
  child.on('message', (message) => {
    if (message.type === 'events') merger.add(message.events)
  })
  const lines: string[] = []
  page.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')))
  await new Promise<void>((resolve) => {
    const check = () => (lines.some((l) => l.includes('"open"')) ? resolve() : setTimeout(check, 20))
    check()
  })
  const cpu = process.cpuUsage()
  const began = performance.now()
  child.child.send({ type: 'start-pipeline', count })
  await child.waitFor('ready')
  const [code] = (await once(page, 'exit')) as [number]
  const ended = performance.now()
  const labCpu = process.cpuUsage(cpu)
  merger.dispose()
  await child.stop()
  await trace.close()
  wss.close()
  rmSync(dir, { recursive: true, force: true })
  const result = JSON.parse(lines.find((l) => l.includes('appended')) ?? '{}') as { appended?: number; invalid?: number }
  if (code !== 0 || result.appended === undefined) throw new Error(`the page process ended (${code}) without appending every event: ${lines.join(' ')}`)
  return {
    events: count,
    endToEndMs: ended - began,
    labMs: (tracedAt || ended) - began,
    traced: trace.count,
    appended: result.appended,
    invalid: result.invalid ?? 0,
    labCpuMs: (labCpu.user + labCpu.system) / 1000,
  }
}
