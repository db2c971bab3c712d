import type { ProcessSource } from './types.ts'

/**
 * Whether `pid` names a live process, asked with signal 0 (nothing is sent): where the
 * platform cannot tell a thread id from a process id this way, every live id is a process.
 */
export async function lookupBySignal(pid: number): ReturnType<ProcessSource['lookup']> {
  try {
    process.kill(pid, 0)
    return { kind: 'process' }
  } catch (err) {
    // EPERM: it exists, it is only someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? { kind: 'process' } : { kind: 'none' }
  }
}
