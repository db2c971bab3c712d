import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import type { OpenedFile, WorkerMessage } from '../../../src/renderer/recording/messages.ts'
import { parseFiles } from '../../../src/renderer/recording/parse-files.ts'
import { recordingToTrace, SAVED_COMMAND, savedName } from '../../../src/renderer/recording/save.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { forkConnection } from '../events.ts'

describe('saving a recording', () => {
  it('writes the CLI’s format from the store, event by event, and reopens to the same events', async () => {
    const store = new EventStore()
    const events = [...forkConnection('51000>50007', 1000, 501), ...forkConnection('51002>50007>B', 400, 502)]
    store.append(events)
    const blob = recordingToTrace(store, '123456789', '2026-12-01T00:00:00.000Z')
    const [header, ...lines] = (await blob.text()).trimEnd().split('\n')
    expect(JSON.parse(header!)).toEqual({ format: 'sockscope-trace', version: 2, createdAt: '2026-12-01T00:00:00.000Z', originNs: '123456789', command: SAVED_COMMAND, ended: 'clean' })
    expect(lines).toHaveLength(events.length)
    const reopened: SockscopeEvent[] = []
    let files: OpenedFile[] = []
    await parseFiles([{ name: 'saved.ndjson', blob }], (m: WorkerMessage) => {
      if (m.type === 'store') {
        const adopted = new EventStore()
        adopted.adopt(m.snapshot)
        for (let i = 0; i < adopted.size; i++) reopened.push(adopted.at(i))
      }
      if (m.type === 'files') files = m.files
    })
    expect(files).toMatchObject([{ name: 'saved.ndjson', events: events.length, sorted: false, truncatedLine: null, group: 0, offsetUs: 0 }])
    const byTime = (list: SockscopeEvent[]) => [...list].sort((a, b) => a.t - b.t)
    expect(reopened).toEqual(byTime(events).map((e) => store.event(events.indexOf(e))))
  })

  it('saves notes as version 3 note records, and reopens them on the recording\'s axis; a file without notes stays version 2', async () => {
    const store = new EventStore()
    store.append(forkConnection('51000>50007', 1000, 501))
    const notes = [{ t: 2000, text: 'watch the queue grow' }]
    const blob = recordingToTrace(store, '123456789', '2026-12-01T00:00:00.000Z', { notes })
    const [header, first] = (await blob.text()).split('\n')
    expect(JSON.parse(header!)).toMatchObject({ version: 3 })
    expect(JSON.parse(first!)).toEqual({ record: 'note', t: 2000, text: 'watch the queue grow' })
    let files: OpenedFile[] = []
    await parseFiles([{ name: 'noted.ndjson', blob }], (m: WorkerMessage) => {
      if (m.type === 'files') files = m.files
    })
    expect(files).toMatchObject([{ events: 16, notes, skipped: {} }])
  })

  it('names the saved file after the opened ones', () => {
    expect(savedName(['fork-server.ndjson'])).toBe('fork-server-saved.ndjson')
    expect(savedName(['fork-server.ndjson', 'clients.ndjson'])).toBe('fork-server-merged.ndjson')
    expect(savedName([], new Date('2026-12-01T01:02:03Z'))).toBe('sockscope-2026-12-01T01-02-03.ndjson')
  })
})
