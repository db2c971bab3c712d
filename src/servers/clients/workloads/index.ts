import { SockscopeError } from '../../errors.ts'
import { burstWorkload } from './burst.ts'
import type { Workload } from './workload.ts'

export const workloads: readonly Workload[] = [burstWorkload]

export function findWorkload(name: string): Workload {
  const workload = workloads.find((w) => w.name === name)
  if (!workload) {
    const known = workloads.map((w) => w.name).join(', ')
    throw new SockscopeError('UNKNOWN_WORKLOAD', `unknown workload '${name}' (known: ${known})`)
  }
  return workload
}
