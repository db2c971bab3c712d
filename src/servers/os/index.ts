/**
 * The OS's own view of processes and their TCP sockets: what the kernel reports, next to
 * what a server says about itself.
 */
export type { ListeningProcess, OsSocket, ProcessInfo, ProcessSource } from './types.ts'
export { createProcessSource, listListeningProcesses } from './platform.ts'
export { diffProcesses, ProcessSampler, type OsEvent, type ProcessSamplerOptions, type ProcessSnapshot, type SamplerRoot } from './sampler.ts'
