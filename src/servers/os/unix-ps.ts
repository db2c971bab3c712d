import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { OsSocket } from '../events.ts'
import { lookupBySignal } from './lookup.ts'
import { selectTrees } from './tree.ts'
import type { ListeningProcess, ProcessInfo, ProcessSource, ReadOptions } from './types.ts'

const run = promisify(execFile)

/**
 * macOS and the BSDs, which have no /proc: the system's own `ps` for the table and
 * `lsof` for sockets. Untested on those systems (the parsers are tested on Linux's ps
 * and lsof, which accept the same options). What the tools do not give is null: thread
 * count and ids (ps has no portable column for them), and the queues where lsof cannot
 * read them. One ps run costs ~10–20 ms, so keep the interval at 250 ms or more.
 */
export class PsSource implements ProcessSource {
  readonly description = 'ps + lsof'

  async read(roots: readonly number[], extra: ReadonlyMap<number, number | null>, options: ReadOptions): Promise<ProcessInfo[]> {
    const { stdout } = await run('ps', ['-ww', '-A', '-o', PS_COLUMNS], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 << 20 })
    const selected = selectTrees(parsePs(stdout), roots, extra)
    if (options.sockets && selected.length) {
      const sockets = await lsofSockets(['-a', '-p', selected.map((p) => p.pid).join(',')])
      for (const info of selected) info.sockets = sockets.get(info.pid) ?? []
    }
    return selected
  }

  async listening(): Promise<ListeningProcess[]> {
    const sockets = await lsofSockets(['-sTCP:LISTEN'])
    if (!sockets.size) return []
    const all = parsePs((await run('ps', ['-ww', '-A', '-o', PS_COLUMNS], { env: { ...process.env, LC_ALL: 'C' } })).stdout)
    return all
      .filter((p) => sockets.has(p.pid))
      .map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, listening: sockets.get(p.pid)! }))
  }

  lookup(pid: number) {
    return lookupBySignal(pid)
  }
}

/** Columns both BSD/macOS ps and Linux procps know; lstart is always five words (LC_ALL=C). */
export const PS_COLUMNS = 'pid=,ppid=,uid=,stat=,rss=,time=,lstart=,command='

/** Output of `ps -o PS_COLUMNS`, one process a line. */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = []
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/)
    if (words.length < 11) continue
    const [pid, ppid, uid, stat, rss, time, , month, day, clock, year] = words
    const command = line.trim().split(/\s+/).slice(11).join(' ') || '?'
    const state = stat!.charAt(0)
    const start = Date.parse(`${month} ${day} ${year} ${clock}`)
    const name = (command.replace(/^\[|\]$/g, '').split(' ')[0] ?? '').split('/').at(-1) ?? ''
    out.push({
      pid: Number(pid),
      ppid: Number(ppid),
      state,
      name,
      command: state === 'Z' && !command.includes('<defunct>') ? `${command} <defunct>` : command,
      threads: null,
      threadIds: null,
      cpuMs: parseCpuTime(time!),
      cpuPercent: null,
      rssBytes: Number(rss) * 1024,
      startTime: Number.isNaN(start) ? null : start,
      uid: Number(uid),
    })
  }
  return out
}

/** ps's TIME: `[[dd-]hh:]mm:ss[.cc]` (Linux `00:01:02`, macOS `1:02.03`) as ms. */
export function parseCpuTime(text: string): number | null {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text)
  if (!match) return null
  const [, days = '0', hours = '0', minutes, seconds] = match
  return Math.round(((Number(days) * 24 + Number(hours)) * 3600 + Number(minutes) * 60 + Number(seconds!)) * 1000)
}

/** `lsof -F pftnT -Tqs` output: TCP sockets by pid. */
export function parseLsof(text: string): Map<number, OsSocket[]> {
  const byPid = new Map<number, OsSocket[]>()
  let pid = 0
  let current: OsSocket | undefined
  for (const line of text.split('\n')) {
    const tag = line.charAt(0)
    const value = line.slice(1)
    if (tag === 'p') pid = Number(value)
    else if (tag === 'f') {
      current = { fd: /^\d+$/.test(value) ? Number(value) : null, family: 'tcp', local: '', remote: '*:*', state: '?', rxQueue: null, txQueue: null, acceptQueue: null }
      const list = byPid.get(pid)
      if (list) list.push(current)
      else byPid.set(pid, [current])
    } else if (!current) continue
    else if (tag === 't') current.family = value === 'IPv6' ? 'tcp6' : 'tcp'
    else if (tag === 'n') {
      const [local, remote] = value.split('->')
      current.local = local ?? ''
      if (remote) current.remote = remote
    } else if (tag === 'T') {
      const [key, v] = value.split('=')
      if (key === 'ST') current.state = v ?? '?'
      else if (key === 'QR') current.rxQueue = Number(v)
      else if (key === 'QS') current.txQueue = Number(v)
    }
  }
  for (const list of byPid.values())
    for (const s of list) if (s.state === 'LISTEN') s.acceptQueue = s.rxQueue
  return byPid
}

async function lsofSockets(select: string[]): Promise<Map<number, OsSocket[]>> {
  try {
    const { stdout } = await run('lsof', ['-nP', '-iTCP', ...select, '-F', 'pftnT', '-Tqs'], { maxBuffer: 64 << 20 })
    return parseLsof(stdout)
  } catch (err) {
    // lsof exits 1 when nothing matched, with whatever it did find on stdout.
    const stdout = (err as { stdout?: string }).stdout
    return typeof stdout === 'string' ? parseLsof(stdout) : new Map()
  }
}
