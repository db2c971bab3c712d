import { readFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { parseNetTcp } from '../../src/servers/os/proc-parse.ts'

/**
 * True if no server was left behind on host:port: a bind succeeds now, or nothing listens.
 *
 * A bind is tried first. When it fails, the kernel's own table decides: once a port is
 * freed, any other process's connect() may take it as its ephemeral local port (tests in
 * the other lane open thousands of connections), which refuses a bind without anyone
 * having left a server behind. Only a LISTEN socket on the port counts as one left behind.
 */
export async function noServerLeftOn(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (await canBind(port, host)) return true
  return listenersOn(port).length === 0
}

/** True if host:port can be bound right now, by a server of ours. */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host }, () => server.close(() => resolve(true)))
  })
}

/** The LISTEN sockets on a local port, IPv4 and IPv6, from /proc/net/tcp{,6}. */
export function listenersOn(port: number): ReturnType<typeof parseNetTcp> {
  return (['tcp', 'tcp6'] as const).flatMap((family) =>
    parseNetTcp(readFileSync(`/proc/net/${family}`, 'utf8'), family, os.endianness()).filter((row) => row.localPort === port && row.state === 'LISTEN'),
  )
}
