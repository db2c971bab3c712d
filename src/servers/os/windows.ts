import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { OsSocket } from '../events.ts'
import { lookupBySignal } from './lookup.ts'
import { selectTrees } from './tree.ts'
import type { ListeningProcess, ProcessInfo, ProcessSource, ReadOptions } from './types.ts'

const run = promisify(execFile)

/**
 * Windows, through PowerShell's CIM (Win32_Process) and Get-NetTCPConnection: the
 * platform's own tools, no native module. Untested here (no Windows machine). Windows
 * has no state letter ('?'), no zombies, no per-thread ids through CIM, and no queue
 * lengths; those are null. Starting PowerShell costs ~0.3–1 s, so this source suits a
 * refresh every second or two, not several times a second.
 */
export class WindowsSource implements ProcessSource {
  readonly description = 'windows CIM'

  async read(roots: readonly number[], extra: ReadonlyMap<number, number | null>, options: ReadOptions): Promise<ProcessInfo[]> {
    const selected = selectTrees(parseWin32Processes(await powershell(PROCESSES)), roots, extra)
    if (options.sockets && selected.length) {
      const sockets = parseNetTcpConnections(await powershell(CONNECTIONS))
      for (const info of selected) info.sockets = sockets.get(info.pid) ?? []
    }
    return selected
  }

  async listening(): Promise<ListeningProcess[]> {
    const sockets = parseNetTcpConnections(await powershell(CONNECTIONS))
    return parseWin32Processes(await powershell(PROCESSES))
      .map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, listening: (sockets.get(p.pid) ?? []).filter((s) => s.state === 'LISTEN') }))
      .filter((p) => p.listening.length > 0)
  }

  lookup(pid: number) {
    return lookupBySignal(pid)
  }
}

const PROCESSES =
  "Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,Name,CommandLine,ThreadCount,UserModeTime,KernelModeTime,WorkingSetSize,@{n='Start';e={if ($_.CreationDate) {[long]($_.CreationDate.ToUniversalTime() - [datetime]'1970-01-01').TotalMilliseconds}}} | ConvertTo-Json -Compress"
const CONNECTIONS =
  "Get-NetTCPConnection | Select-Object OwningProcess,LocalAddress,LocalPort,RemoteAddress,RemotePort,@{n='State';e={$_.State.ToString()}} | ConvertTo-Json -Compress"

async function powershell(command: string): Promise<unknown[]> {
  const { stdout } = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', command], { maxBuffer: 64 << 20, windowsHide: true })
  const parsed: unknown = stdout.trim() ? JSON.parse(stdout) : []
  return Array.isArray(parsed) ? parsed : [parsed] // one row comes back as an object
}

interface Win32Process {
  ProcessId: number
  ParentProcessId: number
  Name: string | null
  CommandLine: string | null
  ThreadCount: number | null
  UserModeTime: number | null
  KernelModeTime: number | null
  WorkingSetSize: number | null
  Start: number | null
}

export function parseWin32Processes(rows: unknown[]): ProcessInfo[] {
  return (rows as Win32Process[]).map((r) => ({
    pid: r.ProcessId,
    ppid: r.ParentProcessId,
    state: '?',
    name: r.Name ?? '',
    command: r.CommandLine || `[${r.Name ?? '?'}]`,
    threads: r.ThreadCount ?? null,
    threadIds: null,
    // CIM counts CPU time in 100 ns units.
    cpuMs: r.UserModeTime === null || r.KernelModeTime === null ? null : (r.UserModeTime + r.KernelModeTime) / 1e4,
    cpuPercent: null,
    rssBytes: r.WorkingSetSize ?? null,
    startTime: r.Start ?? null,
    uid: null,
  }))
}

interface NetTcpConnection {
  OwningProcess: number
  LocalAddress: string
  LocalPort: number
  RemoteAddress: string
  RemotePort: number
  State: string
}

export function parseNetTcpConnections(rows: unknown[]): Map<number, OsSocket[]> {
  const byPid = new Map<number, OsSocket[]>()
  const at = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`)
  for (const r of rows as NetTcpConnection[]) {
    // Windows names states in CamelCase (TimeWait); the kernel's names are LISTEN, TIME_WAIT.
    const state = r.State === 'Listen' ? 'LISTEN' : r.State.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()
    const socket: OsSocket = {
      fd: null,
      family: r.LocalAddress.includes(':') ? 'tcp6' : 'tcp',
      local: at(r.LocalAddress, r.LocalPort),
      remote: state === 'LISTEN' ? '*:*' : at(r.RemoteAddress, r.RemotePort),
      state,
      rxQueue: null,
      txQueue: null,
      acceptQueue: null,
    }
    const list = byPid.get(r.OwningProcess)
    if (list) list.push(socket)
    else byPid.set(r.OwningProcess, [socket])
  }
  return byPid
}
