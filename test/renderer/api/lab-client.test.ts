import { describe, expect, it } from 'vitest'
import { ApiError, LabClient } from '../../../src/renderer/api/lab-client.ts'
import type { Transport, TransportStatus } from '../../../src/renderer/api/transport.ts'

/** A transport that records what is sent and lets the test deliver host messages. */
function loopback() {
  const sent: unknown[] = []
  let deliver: (raw: unknown) => void = () => {}
  let status: (s: TransportStatus) => void = () => {}
  const transport: Transport = {
    kind: 'web',
    send: (r) => void sent.push(r),
    onMessage: (l) => void (deliver = l),
    onStatus: (l) => void (status = l),
    close() {},
  }
  return { transport, sent, deliver: (raw: unknown) => deliver(raw), status: (s: TransportStatus) => status(s) }
}

describe('LabClient', () => {
  it('pairs requests with their responses by id', async () => {
    const t = loopback()
    const client = new LabClient(t.transport)
    const a = client.request('stopServer', { id: 's1' })
    const b = client.request('startServer', { model: 'fork' })
    expect(t.sent).toEqual([
      { type: 'request', id: 1, method: 'stopServer', params: { id: 's1' } },
      { type: 'request', id: 2, method: 'startServer', params: { model: 'fork' } },
    ])
    t.deliver({ type: 'response', id: 2, ok: false, error: { code: 'PORT_IN_USE', message: 'port 80 is in use' } })
    t.deliver({ type: 'response', id: 1, ok: true, result: null })
    await expect(a).resolves.toBeNull()
    await expect(b).rejects.toMatchObject({ code: 'PORT_IN_USE', message: 'port 80 is in use' })
  })

  it('drops malformed host messages and says so', () => {
    const t = loopback()
    const client = new LabClient(t.transport)
    const seen: unknown[] = []
    const problems: string[] = []
    client.onMessage((m) => seen.push(m))
    client.onInvalid((p) => problems.push(p))
    t.deliver({ type: 'events', now: 1, events: [{ kind: 'recv', t: 'soon' }] })
    t.deliver('garbage')
    t.deliver({ type: 'events', now: 1, events: [{ kind: 'recv', t: 5, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, bytes: 3 }] })
    expect(problems).toHaveLength(2)
    expect(seen).toEqual([{ type: 'events', now: 1, events: [{ kind: 'recv', t: 5, src: { role: 'server', run: 's1', pid: 1, tid: 0 }, bytes: 3 }] }])
  })

  it('fails pending requests when the connection drops', async () => {
    const t = loopback()
    const client = new LabClient(t.transport)
    const pending = client.request('stopAll', {})
    t.status('closed')
    await expect(pending).rejects.toBeInstanceOf(ApiError)
  })
})
