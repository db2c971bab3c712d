/** Which process source this platform gets. */
import { SockscopeError } from '../errors.ts'
import { LinuxProcSource } from './linux.ts'
import type { ListeningProcess, ProcessSource } from './types.ts'
import { PsSource } from './unix-ps.ts'
import { WindowsSource } from './windows.ts'

/** /proc on Linux; ps and lsof on macOS and the BSDs; PowerShell CIM on Windows. */
export function createProcessSource(platform: NodeJS.Platform = process.platform): ProcessSource {
  switch (platform) {
    case 'linux':
    case 'android':
      return new LinuxProcSource()
    case 'darwin':
    case 'freebsd':
    case 'openbsd':
    case 'netbsd':
      return new PsSource()
    case 'win32':
      return new WindowsSource()
    default:
      throw new SockscopeError('UNSUPPORTED_PLATFORM', `Sockscope cannot read the process table on ${platform}.`)
  }
}

/** Processes with TCP sockets in LISTEN (the observe picker), by pid. */
export function listListeningProcesses(source: ProcessSource = createProcessSource()): Promise<ListeningProcess[]> {
  return source.listening()
}
