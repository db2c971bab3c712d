import { describe, expect, it } from 'vitest'
import { closeProblem, resourceUrlFor, tokenQuery } from '../../../src/renderer/api/ws-transport.ts'
import { CLOSE_CODES, HostMessageSchema } from '../../../src/servers/web/protocol.ts'

describe('the WebSocket transport', () => {
  it('passes the page’s token on to the WebSocket, and nothing when the page has none', () => {
    expect(tokenQuery('?token=ab12cd')).toBe('?token=ab12cd')
    expect(tokenQuery('?x=1&token=a%2Bb')).toBe('?token=a%2Bb')
    expect(tokenQuery('')).toBe('')
    expect(tokenQuery('?token=')).toBe('')
  })

  it('puts the host’s HTTP paths beside its WebSocket, with the same token and nothing else of its query', () => {
    expect(resourceUrlFor('ws://127.0.0.1:4000/api', '/api/recordings/0')).toBe('http://127.0.0.1:4000/api/recordings/0')
    expect(resourceUrlFor('ws://[::1]:4000/api?token=ab12&x=1', '/api/trace')).toBe('http://[::1]:4000/api/trace?token=ab12')
    expect(resourceUrlFor('wss://lab.example/api?token=a%2Bb', '/api/trace')).toBe('https://lab.example/api/trace?token=a%2Bb')
  })

  it('turns a close the host made on purpose into a problem the page shows, in the protocol’s own message', () => {
    const problem = closeProblem(CLOSE_CODES.LIMIT_REACHED, 'LIMIT_REACHED: 32 sessions are open, the most this lab allows; close one, or use sockscope web --max-sessions')
    expect(problem).toEqual({ type: 'problem', run: 'web', code: 'LIMIT_REACHED', message: '32 sessions are open, the most this lab allows; close one, or use sockscope web --max-sessions' })
    expect(HostMessageSchema.safeParse(problem).success).toBe(true)
    expect(closeProblem(CLOSE_CODES.SLOW_CONSUMER, '')).toMatchObject({ code: 'SLOW_CONSUMER', message: 'SLOW_CONSUMER' })
    expect(closeProblem(1006, '')).toBeUndefined()
    expect(closeProblem(1001, 'server stopping')).toBeUndefined()
  })
})
