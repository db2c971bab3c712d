import { SockscopeError } from '../errors.ts'
import { asyncioModel } from './asyncio.ts'
import { forkModel } from './fork.ts'
import { iterativeModel } from './iterative.ts'
import type { ServerModel } from './model.ts'
import { reactorModel } from './reactor.ts'
import { selectModel } from './select.ts'
import { socketserverModel } from './socketserver.ts'
import { threadModel } from './thread.ts'

export const models: readonly ServerModel[] = [iterativeModel, forkModel, threadModel, socketserverModel, selectModel, asyncioModel, reactorModel]

export function findModel(name: string): ServerModel {
  const model = models.find((m) => m.name === name)
  if (!model) {
    const known = models.map((m) => m.name).join(', ')
    throw new SockscopeError('UNKNOWN_MODEL', `unknown model '${name}' (known: ${known})`)
  }
  return model
}
