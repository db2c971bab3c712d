import { SockscopeError } from '../errors.ts'
import { c10k } from './c10k.ts'
import { modelAsyncio } from './model-asyncio.ts'
import { modelFork } from './model-fork.ts'
import { modelIterative } from './model-iterative.ts'
import { modelReactor } from './model-reactor.ts'
import { modelSelect } from './model-select.ts'
import { modelSocketserver } from './model-socketserver.ts'
import { modelThread } from './model-thread.ts'
import type { ProgramDef } from './program.ts'
import { seed000NaiveServer } from './seed000-naive-server.ts'
import { seed000ThreadingTcpServer } from './seed000-threading-tcpserver.ts'
import { seed001AsyncioServer } from './seed001-asyncio-server.ts'
import { seed001MulticonnServer } from './seed001-multiconn-server.ts'
import { seed002Bank } from './seed002-bank.ts'
import { seed003ForkServer } from './seed003-fork-server.ts'
import { seed003ForkSigchldIgnore } from './seed003-fork-sigchld-ignore.ts'
import { seed003SelectTwoPorts } from './seed003-select-two-ports.ts'
import { seed004TwistedReactor } from './seed004-twisted-reactor.ts'

/** Every program the code panel can show: the seeds' Python (the lessons'), then the models' own TypeScript. */
export const programs: readonly ProgramDef[] = [
  seed000NaiveServer,
  seed000ThreadingTcpServer,
  seed001MulticonnServer,
  seed001AsyncioServer,
  seed002Bank,
  seed003ForkServer,
  seed003ForkSigchldIgnore,
  seed003SelectTwoPorts,
  seed004TwistedReactor,
  c10k,
  modelIterative,
  modelFork,
  modelThread,
  modelSocketserver,
  modelSelect,
  modelAsyncio,
  modelReactor,
]

export function findProgram(id: string): ProgramDef {
  const program = programs.find((p) => p.id === id)
  if (!program) throw new SockscopeError('UNKNOWN_PROGRAM', `unknown program '${id}' (known: ${programs.map((p) => p.id).join(', ')})`)
  return program
}

/** The model's own TypeScript program, where there is one (the code panel's default). */
export function modelProgram(model: string): ProgramDef | undefined {
  return programs.find((p) => p.language === 'typescript' && p.model === model)
}
