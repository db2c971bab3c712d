import { Command } from 'commander'
import { SockscopeError } from '../errors.ts'
import { createProcessSource } from '../os/platform.ts'
import { type ProcessSnapshot, ProcessSampler } from '../os/sampler.ts'
import type { ListeningProcess, OsSocket, ProcessInfo } from '../os/types.ts'
import { watchLifeline } from '../lab/lifeline.ts'
import { fail, ignoreClosedOutput, numberOption } from './common.ts'

/**
 * `sockscope ps`: the OS's own view of a process tree and its TCP sockets, like `ps -f`
 * with the sockets and their queues underneath: live, once, or as JSON. Or, with
 * --listening, the processes that have a TCP socket in LISTEN (something to observe).
 */
export function psCommand(): Command {
  const pidOption = numberOption('--pid', { integer: true, min: 1 })
  return new Command('ps')
    .description("show a process tree as the OS sees it (state, threads, CPU, memory) and its TCP sockets, live")
    .option('-p, --pid <pid>', 'root of the tree to watch (repeat for several)', (v: string, all: number[]) => [...all, pidOption(v)], [] as number[])
    .option('-i, --interval <ms>', 'time between samples', numberOption('--interval', { integer: true, min: 20 }), 500)
    .option('--once', 'print one sample and exit')
    .option('--json', 'JSON instead of a table (one snapshot per line when live)')
    .option('--no-sockets', 'leave out the socket table')
    .option('-l, --listening', 'list the processes that listen on a TCP port, and exit')
    .addHelpText(
      'after',
      `\nState letters are the kernel's: R running, S sleeping, D waiting on I/O, Z zombie (exited,\nnot yet reaped by its parent: <defunct>), T stopped. ACCEPT-Q of a listening socket is the\nnumber of connections the kernel has completed that wait for accept().\n\nExamples:\n  sockscope ps --listening\n  sockscope ps --pid 4242\n  sockscope ps --pid 4242 --once --json`,
    )
    .action(async (opts: { pid: number[]; interval: number; once?: boolean; json?: boolean; sockets: boolean; listening?: boolean }) => {
      try {
        if (opts.listening) {
          if (opts.pid.length) throw new SockscopeError('BAD_OPTION', 'give either --listening or --pid, not both')
          const listening = await createProcessSource().listening()
          console.log(opts.json ? JSON.stringify(listening) : formatListening(listening))
          return
        }
        if (!opts.pid.length) throw new SockscopeError('BAD_OPTION', 'give the process to watch with --pid N (or find one with --listening)')
        await watch(opts.pid, opts)
      } catch (err) {
        fail(err)
      }
    })
}

async function watch(pids: number[], opts: { interval: number; once?: boolean; json?: boolean; sockets: boolean }): Promise<void> {
  const source = createProcessSource()
  for (const pid of pids) {
    const found = await source.lookup(pid)
    if (found.kind === 'none') throw new SockscopeError('NO_SUCH_PROCESS', `no process with pid ${pid}`)
    if (found.kind === 'thread') throw new SockscopeError('BAD_OPTION', `${pid} is a thread of process ${found.tgid}; watch --pid ${found.tgid}`)
  }
  if (opts.once) {
    const snapshot = await new ProcessSampler({ roots: pids, sockets: opts.sockets, source }).sample()
    console.log(opts.json ? JSON.stringify(snapshotJson(snapshot)) : formatSnapshot(snapshot, { roots: pids, sockets: opts.sockets }))
    return
  }
  const tty = process.stdout.isTTY === true
  const color = tty && !process.env.NO_COLOR
  await new Promise<void>((resolve) => {
    const sampler = new ProcessSampler({
      roots: pids,
      intervalMs: opts.interval,
      sockets: opts.sockets,
      source,
      onSample: (snapshot) => {
        if (opts.json) console.log(JSON.stringify(snapshotJson(snapshot)))
        else {
          const table = formatSnapshot(snapshot, { roots: pids, sockets: opts.sockets, intervalMs: opts.interval, color })
          // Redraw in place on a terminal; into a file or pipe, one table after another.
          process.stdout.write(tty ? `\x1b[H\x1b[2J${table}\n` : `${table}\n\n`)
        }
        if (!snapshot.processes.some((p) => pids.includes(p.pid))) {
          if (!opts.json) console.log(`pid ${pids.join(', ')} has exited.`)
          finish()
        }
      },
      onError: (error) => console.error(`sockscope: ${error.message} (${error.code})`),
    })
    // Ctrl-C, `kill`, a closed terminal or a lost parent end the watch (nothing else to stop).
    ignoreClosedOutput()
    const unwatch = watchLifeline(() => finish(), { orphan: true })
    const finish = () => void sampler.stop().then(() => (unwatch(), resolve()))
    sampler.start()
  })
}

function snapshotJson(snapshot: ProcessSnapshot) {
  return { at: new Date(snapshot.at).toISOString(), source: snapshot.source, sampleMs: Math.round(snapshot.sampleMs * 100) / 100, processes: snapshot.processes }
}

export interface FormatOptions {
  roots: readonly number[]
  sockets?: boolean
  intervalMs?: number
  /** ANSI colour for zombies (terminal only). */
  color?: boolean
}

const HEAD = `${'PID'.padStart(7)} ${'PPID'.padStart(7)} S ${'THR'.padStart(4)} ${'%CPU'.padStart(5)} ${'RSS'.padStart(8)} ${'STIME'.padEnd(8)} CMD`

/** The process table (`ps -f` columns plus state and threads, CMD indented as a tree) and the sockets under it. */
export function formatSnapshot(snapshot: ProcessSnapshot, options: FormatOptions): string {
  const { processes } = snapshot
  const every = options.intervalMs ? ` every ${options.intervalMs} ms` : ''
  const lines = [
    `pid ${options.roots.join(', ')} — ${processes.length} process${processes.length === 1 ? '' : 'es'} (${snapshot.source}${every}, ${new Date(snapshot.at).toLocaleTimeString('en-GB')}, sampled in ${snapshot.sampleMs.toFixed(1)} ms)`,
    '',
    HEAD,
  ]
  const depth = depths(processes)
  for (const p of processes) {
    const line = [
      String(p.pid).padStart(7),
      String(p.ppid).padStart(7),
      p.state.padEnd(1),
      (p.threads === null ? '-' : String(p.threads)).padStart(4),
      (p.cpuPercent === null ? '-' : p.cpuPercent.toFixed(1)).padStart(5),
      // KiB, as ps prints RSS.
      (p.rssBytes === null ? '-' : String(Math.round(p.rssBytes / 1024))).padStart(8),
      startTime(p.startTime, snapshot.at).padEnd(8),
      `${depth.get(p.pid) ? `${'   '.repeat(depth.get(p.pid)! - 1)}\\_ ` : ''}${p.command}`,
    ].join(' ')
    lines.push(p.state === 'Z' && options.color ? `\x1b[1;31m${line}\x1b[0m` : line)
  }
  const zombies = processes.filter((p) => p.state === 'Z').length
  if (zombies)
    lines.push('', `${zombies} zombie${zombies === 1 ? '' : 's'}: exited, still in the process table until ${zombies === 1 ? 'its' : 'their'} parent reaps (waits for) ${zombies === 1 ? 'it' : 'them'}.`)
  if (options.sockets !== false) lines.push('', ...formatSockets(processes))
  return lines.join('\n')
}

function formatSockets(processes: readonly ProcessInfo[]): string[] {
  const rows: string[] = []
  for (const p of processes) {
    if (p.sockets === null) rows.push(`${String(p.pid).padStart(7)}  (sockets cannot be read: another user's process?)`)
    for (const s of p.sockets ?? []) rows.push(socketRow(p.pid, s))
  }
  if (!rows.length) return ['no TCP sockets']
  const head = `${'PID'.padStart(7)} ${'FD'.padStart(4)} PROTO ${'STATE'.padEnd(12)} ${'LOCAL'.padEnd(24)} ${'REMOTE'.padEnd(24)} ${'RECV-Q'.padStart(7)} ${'SEND-Q'.padStart(7)} ${'ACCEPT-Q'.padStart(8)}`
  return [head, ...rows]
}

function socketRow(pid: number, s: OsSocket): string {
  const n = (v: number | null) => (v === null ? '-' : String(v))
  return [
    String(pid).padStart(7),
    (s.fd === null ? '-' : String(s.fd)).padStart(4),
    s.family.padEnd(5),
    s.state.padEnd(12),
    s.local.padEnd(24),
    s.remote.padEnd(24),
    // A listener's receive queue is its accept queue: shown once, under ACCEPT-Q.
    (s.state === 'LISTEN' ? '-' : n(s.rxQueue)).padStart(7),
    n(s.txQueue).padStart(7),
    n(s.acceptQueue).padStart(8),
  ].join(' ')
}

export function formatListening(list: readonly ListeningProcess[]): string {
  if (!list.length) return 'no process listens on a TCP port (that this user may see).'
  const lines = [`${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'LISTENING ON'.padEnd(32)} ${'ACCEPT-Q'.padStart(8)} CMD`]
  for (const p of list) {
    const where = p.listening.map((s) => s.local).join(' ')
    const queued = p.listening.reduce((sum, s) => sum + (s.acceptQueue ?? 0), 0)
    lines.push(`${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)} ${where.padEnd(32)} ${String(queued).padStart(8)} ${p.command}`)
  }
  return lines.join('\n')
}

/** How deep each process sits below the first of its ancestors in the table. */
function depths(processes: readonly ProcessInfo[]): Map<number, number> {
  const depth = new Map<number, number>()
  for (const p of processes) depth.set(p.pid, depth.has(p.ppid) ? depth.get(p.ppid)! + 1 : 0)
  return depth
}

/** ps's STIME: the time of day for a process started today, else the date. */
function startTime(ms: number | null, now: number): string {
  if (ms === null) return '-'
  const start = new Date(ms)
  if (start.toDateString() === new Date(now).toDateString()) return start.toLocaleTimeString('en-GB')
  return start.toLocaleDateString('en-GB', { month: 'short', day: '2-digit' })
}
