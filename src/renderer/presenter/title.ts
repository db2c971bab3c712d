import type { RunInfo } from '../../servers/web/protocol.ts'
import type { OpenedFile } from '../recording/messages.ts'

export interface PresenterTitle {
  /** `fork server`, `select server`; `traced program`. */
  model: string
  app: string
  /** `burst · 8 clients`; '' where nothing says. */
  workload: string
}

/** An option's value in a command line (`--workload burst`, `-w burst`, `--count=8`). */
function option(command: string, names: readonly string[]): string | undefined {
  const words = command.split(/\s+/)
  for (let i = 0; i < words.length; i++) {
    for (const name of names) {
      if (words[i] === name) return words[i + 1]
      if (words[i]!.startsWith(`${name}=`)) return words[i]!.slice(name.length + 1)
    }
  }
  return undefined
}

/**
 * What the title card says: the model, the app and the workload, from the runs (a live
 * lab's specs, or a recording's servers) and, for a recording, the commands its files'
 * headers name (`sockscope clients --workload burst --count 8`).
 */
export function presenterTitle(runs: readonly RunInfo[], files: readonly Pick<OpenedFile, 'header'>[]): PresenterTitle {
  const server = runs.find((r) => r.kind === 'server')
  const model = typeof server?.spec.model === 'string' ? server.spec.model : ''
  const app = typeof server?.spec.app === 'string' ? server.spec.app : ''
  const clients = runs.find((r) => r.kind === 'clients')
  let workload = typeof clients?.spec.workload === 'string' ? clients.spec.workload : ''
  let count = typeof clients?.spec.count === 'number' && clients.spec.count > 0 ? clients.spec.count : null
  for (const f of files) {
    const command = f.header.command
    if (!/\bclients\b/.test(command)) continue
    workload ||= option(command, ['--workload', '-w']) ?? 'burst'
    const n = Number(option(command, ['--count', '-n']))
    if (Number.isInteger(n) && n > 0) count = n
  }
  return {
    model: model ? (model === 'traced' ? 'traced program' : `${model} server`) : 'no server yet',
    app,
    workload: [workload, count !== null ? `${count} client${count === 1 ? '' : 's'}` : ''].filter(Boolean).join(' · '),
  }
}
