import type { ProcessInfo } from './types.ts'

/**
 * From a whole process table (what ps or Windows give in one go): the trees under
 * `roots`, depth first in pid order, plus the `extra` pids still there with the given
 * start time. The same selection LinuxProcSource makes while it reads.
 */
export function selectTrees(all: readonly ProcessInfo[], roots: readonly number[], extra: ReadonlyMap<number, number | null>): ProcessInfo[] {
  const byPid = new Map(all.map((p) => [p.pid, p]))
  const children = new Map<number, number[]>()
  for (const p of all) {
    if (p.pid === p.ppid) continue // Windows' System Idle Process is its own parent
    const list = children.get(p.ppid)
    if (list) list.push(p.pid)
    else children.set(p.ppid, [p.pid])
  }
  const out: ProcessInfo[] = []
  const seen = new Set<number>()
  const visit = (pid: number, expectStart: number | null | undefined) => {
    const info = byPid.get(pid)
    if (!info || seen.has(pid) || (expectStart !== undefined && info.startTime !== expectStart)) return
    seen.add(pid)
    out.push(info)
    for (const child of (children.get(pid) ?? []).sort((a, b) => a - b)) visit(child, undefined)
  }
  for (const root of roots) visit(root, undefined)
  for (const [pid, start] of extra) visit(pid, start)
  return out
}
