import { describe, expect, it } from 'vitest'
import { isLoopback, TargetPolicy } from '../../../src/servers/web/loopback.ts'

describe('loopback and --allow-target', () => {
  it('knows loopback: 127.0.0.0/8, ::1 in every spelling, localhost', () => {
    for (const host of ['127.0.0.1', '127.9.8.7', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST', 'localhost.'])
      expect(isLoopback(host), host).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.1.2.3', '169.254.169.254', 'example.com', '128.0.0.1', '::ffff:10.0.0.1', 'localhost.example.com', '', '127.0.0.1.example'])
      expect(isLoopback(host), host).toBe(false)
  })

  it('allows what the command line named: addresses, subnets, host names', () => {
    const policy = new TargetPolicy(['10.0.0.0/8', 'fd00::5', 'Lab.Example.com', '192.168.1.7'])
    for (const host of ['10.1.2.3', 'fd00::5', '[fd00::5]', 'lab.example.com', 'lab.example.com.', '192.168.1.7', '127.0.0.1'])
      expect(policy.allows(host), host).toBe(true)
    for (const host of ['11.0.0.1', 'fd00::6', 'example.com', '192.168.1.8', '0.0.0.0'])
      expect(policy.allows(host), host).toBe(false)
  })

  it('refuses a host it does not allow in a sentence naming the flag, and a bad entry as BAD_OPTION', () => {
    const policy = new TargetPolicy()
    expect(() => policy.check('169.254.169.254', 'client workload')).toThrow(
      expect.objectContaining({ code: 'NOT_ALLOWED', message: expect.stringMatching(/connect to .*169\.254\.169\.254.*sockscope web --allow-target 169\.254\.169\.254/) }),
    )
    expect(() => policy.check('0.0.0.0', 'server')).toThrow(expect.objectContaining({ code: 'NOT_ALLOWED', message: expect.stringContaining('listen on') }))
    expect(() => policy.check(undefined, 'server')).not.toThrow() // the spec's default: 127.0.0.1
    for (const bad of ['10.0.0.0/33', 'not a host', '1.2.3.4/x', 'a..b'])
      expect(() => new TargetPolicy([bad]), bad).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }))
  })
})
