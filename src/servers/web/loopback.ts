import net from 'node:net'
import { SockscopeError } from '../errors.ts'

/**
 * Which addresses the lab may be aimed at through its API. Loopback only, unless the
 * person at the machine allowed more on the command line (`sockscope web --allow-target`):
 * a page that can drive the lab (an exposed `web --allow-remote`, or a bug in the UI) must
 * not be able to listen on every interface or aim up to 1,000 clients at another host.
 */

const LOOPBACK = new net.BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/** 127.0.0.0/8, ::1 (and its IPv4-mapped forms), `localhost`. */
export function isLoopback(host: string): boolean {
  const name = unbracket(host).toLowerCase()
  if (name === 'localhost' || name === 'localhost.') return true
  return addressIn(LOOPBACK, name)
}

/** What `--allow-target` accepts: an address (10.1.2.3, fd00::5), a subnet (10.0.0.0/8) or a host name (example.com). */
export class TargetPolicy {
  private readonly subnets = new net.BlockList()
  private readonly names = new Set<string>()
  readonly allowed: readonly string[]

  /** Throws BAD_OPTION naming the entry that is neither an address, a subnet nor a host name. */
  constructor(allow: readonly string[] = []) {
    this.allowed = [...allow]
    for (const raw of allow) {
      const entry = unbracket(raw.trim()).toLowerCase()
      const subnet = /^(.+)\/(\d{1,3})$/.exec(entry)
      const family = net.isIP(subnet ? subnet[1]! : entry)
      if (subnet && family && Number(subnet[2]) <= (family === 4 ? 32 : 128)) this.subnets.addSubnet(subnet[1]!, Number(subnet[2]), family === 4 ? 'ipv4' : 'ipv6')
      else if (!subnet && family) this.subnets.addAddress(entry, family === 4 ? 'ipv4' : 'ipv6')
      else if (!subnet && /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(entry)) this.names.add(entry.replace(/\.$/, ''))
      else throw new SockscopeError('BAD_OPTION', `--allow-target must be an address (10.1.2.3), a subnet (10.0.0.0/8) or a host name (example.com), not '${raw}'`)
    }
  }

  allows(host: string): boolean {
    const name = unbracket(host).toLowerCase()
    return isLoopback(name) || this.names.has(name.replace(/\.$/, '')) || addressIn(this.subnets, name)
  }

  /** NOT_ALLOWED, in a sentence that says how to allow it, unless `host` is loopback or allowed. */
  check(host: unknown, what: 'server' | 'client workload'): void {
    if (typeof host !== 'string' || this.allows(host)) return // not a string: the spec's own check says what is wrong
    const verb = what === 'server' ? 'listen on' : 'connect to'
    throw new SockscopeError(
      'NOT_ALLOWED',
      `A ${what} started from this page may only ${verb} a loopback address (127.0.0.1, ::1, localhost), not ${host}; ` +
        `to allow it, start the lab with \`sockscope web --allow-target ${host}\`.`,
    )
  }
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

function addressIn(list: net.BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  if (mapped) return list.check(mapped[1]!, 'ipv4')
  const family = net.isIP(address)
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
}
