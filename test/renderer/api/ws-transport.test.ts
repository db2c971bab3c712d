import { describe, expect, it } from 'vitest'
import { closeProblem, tokenQuery } from '../../../src/renderer/api/ws-transport.ts'
import { CLOSE_CODES, HostMessageSchema } from '../../../src/servers/web/protocol.ts'

describe('the WebSocket transport', () => {
  it('passes the page’s token on to the WebSocket, and nothing when the page has none', () => {
    expect(tokenQuery('?token=ab12cd')).toBe('?token=ab12cd')
    expect(tokenQuery('?x=1&token=a%2Bb')).toBe('?token=a%2Bb')
    expect(tokenQuery('')).toBe('')
    expect(tokenQuery('?token=')).toBe('')
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
