import { SockscopeError } from '../../errors.ts'
import { bankWorkload } from './bank.ts'
import { burstWorkload } from './burst.ts'
import { garbagePrefixWorkload } from './garbage-prefix.ts'
import { halfCloseWorkload } from './half-close.ts'
import { idleWorkload } from './idle.ts'
import { interactiveWorkload } from './interactive.ts'
import { lengthPrefixedWorkload } from './length-prefixed.ts'
import { multiconnWorkload } from './multiconn.ts'
import { noReadWorkload } from './no-read.ts'
import { oversizeWorkload } from './oversize.ts'
import { resetWorkload } from './reset.ts'
import { staggeredWorkload } from './staggered.ts'
import type { Workload } from './workload.ts'

export const workloads: readonly Workload[] = [
  burstWorkload,
  staggeredWorkload,
  interactiveWorkload,
  multiconnWorkload,
  bankWorkload,
  lengthPrefixedWorkload,
  idleWorkload,
  halfCloseWorkload,
  resetWorkload,
  oversizeWorkload,
  garbagePrefixWorkload,
  noReadWorkload,
]

/** The workloads that misbehave on purpose: every model must survive each of them. */
export const BAD_CLIENTS = ['idle', 'half-close', 'reset', 'oversize', 'garbage-prefix', 'no-read'] as const

export function findWorkload(name: string): Workload {
  const workload = workloads.find((w) => w.name === name)
  if (!workload) {
    const known = workloads.map((w) => w.name).join(', ')
    throw new SockscopeError('UNKNOWN_WORKLOAD', `unknown workload '${name}' (known: ${known})`)
  }
  return workload
}
