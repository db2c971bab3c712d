import { describe, expect, it } from 'vitest'
import { EventStore } from '../../../src/renderer/model/event-store.ts'
import { LineScanner } from '../../../src/renderer/recording/line-scanner.ts'
import { readTraceBlob } from '../../../src/renderer/recording/parse-files.ts'
import type { SockscopeEvent } from '../../../src/servers/events.ts'
import { generateTrace, traceHeader } from '../../../bench/trace-generator.ts'

/**
 * The parse worker's line scanner reads lines from their bytes into the store: it must take
 * only what the text path (JSON.parse, trace-lines.ts's checks) takes, and store it as
 * EventStore.append stores the parsed event.
 */
const file = (lines: readonly string[]) => new Blob([`${traceHeader('test')}\n${lines.join('\n')}\n`])

/** The file read as the worker reads one file: into a store, common lines by the scanner. */
async function scanned(lines: readonly string[]): Promise<EventStore> {
  const store = new EventStore()
  await readTraceBlob('t.ndjson', file(lines), () => {}, {}, store)
  return store
}

/** The same lines through JSON.parse and append. */
function parsed(lines: readonly string[]): EventStore {
  const store = new EventStore()
  store.append(lines.map((l) => JSON.parse(l) as SockscopeEvent))
  return store
}

const all = (store: EventStore) => Array.from({ length: store.size }, (_, i) => store.at(i))

/** What the text path says of a file (null: it reads it). */
async function refusal(lines: readonly string[]): Promise<string | null> {
  return readTraceBlob('t.ndjson', file(lines), () => {}).then(
    () => null,
    (err: Error) => err.message,
  )
}

const src = '"src":{"role":"server","run":"s1","pid":4242,"tid":0}'

describe('the line scanner', () => {
  it('reads a generated trace’s lines into the same store as JSON.parse and append, nine lines in ten from their bytes', async () => {
    const lines = [...generateTrace({ events: 20_000, connections: 200 })].map((e) => JSON.stringify(e))
    const store = new EventStore()
    const scanner = new LineScanner(store)
    let taken = 0
    for (const line of lines) {
      const bytes = new TextEncoder().encode(line)
      if (scanner.scan(bytes, 0, bytes.length) !== undefined) taken++
    }
    expect(taken / lines.length).toBeGreaterThan(0.9)
    expect(all(await scanned(lines))).toEqual(all(parsed(lines)))
  })

  it('leaves to the text path what it does not read exactly, which then reads it as before', async () => {
    const lines = [
      `{"kind":"recv","t":1,${src},"conn":"1>2","bytes":5,"preview":"Hello"}`,
      `{"kind":"recv","t":2,${src},"conn":"1>2","bytes":7,"preview":"a\\"b\\\\c\\n"}`,
      `{"kind":"send","t":3,${src},"conn":"1>2","bytes":12,"preview":"Καλημέρα ✓"}`,
      `{"kind":"send","t":4e0,${src},"conn":"1>2","bytes":1,"preview":"x"}`,
      `{"kind":"send", "t":5,${src},"conn":"1>2","bytes":1,"preview":"x"}`,
      `{"kind":"send","t":6,${src},"conn":"1>2","bytes":1,"preview":"x","extra":[1]}`,
      `{"kind":"send","t":6.5,${src},"bytes":1,"conn":"1>2","preview":"x"}`,
      `{"kind":"send","t":7.123456789012345678,${src},"conn":"1>2","bytes":1,"preview":"x"}`,
      `{"kind":"block","t":8,${src},"on":"select","sockets":0}`,
      `{"kind":"block","t":9,${src},"conn":"1>2","on":"recv","waiter":"task"}`,
      `{"kind":"block","t":10,${src},"on":"accept","cause":"at-cap","limit":40}`,
      `{"kind":"unblock","t":11,${src},"conn":"1>2","on":"recv","blockedUs":-0.5,"waiter":"thread"}`,
      `{"kind":"wakeup","t":12,${src},"writable":["1>2"],"readable":[],"waitedUs":3}`,
      `{"kind":"wakeup","t":13,${src},"readable":["listen:2","1>2"],"writable":[],"waitedUs":0.25}`,
      `{"kind":"wakeup","t":14,${src},"conn":"1>2","readable":[],"writable":[],"waitedUs":1}`,
      `{"kind":"send","t":15,"src":{"role":"server","run":"s1","pid":4242,"tid":70000},"conn":"1>2","bytes":1,"preview":"x"}`,
      `{"kind":"send","t":16,${src},"conn":"1>2","bytes":1,"preview":"x","preview":"y"}`,
      `{"kind":"accept","t":17,${src},"conn":"1>2","remote":"127.0.0.1:1","waitedUs":1}`,
      `{"kind":"send","t":0.1,${src},"conn":"1>2","bytes":0,"preview":""}\r`,
    ]
    expect(all(await scanned(lines))).toEqual(all(parsed(lines.map((l) => l.replace(/\r$/, '')))))
  })

  it('refuses a wrong field with the text path’s words, scanned or not', async () => {
    for (const wrong of [
      `{"kind":"send","t":1,${src},"conn":"1>2","bytes":-1,"preview":"x"}`,
      `{"kind":"send","t":1,${src},"conn":"1>2","bytes":1.5,"preview":"x"}`,
      `{"kind":"send","t":1,"src":{"role":"server","run":"s1","pid":4242,"tid":0.5},"conn":"1>2","bytes":1,"preview":"x"}`,
      `{"kind":"send","t":1,"src":{"role":"boss","run":"s1","pid":4242,"tid":0},"conn":"1>2","bytes":1,"preview":"x"}`,
      `{"kind":"block","t":1,${src},"on":"nap"}`,
      `{"kind":"wakeup","t":1,${src},"readable":[1],"writable":[],"waitedUs":1}`,
      `{"kind":"send","t":01,${src},"conn":"1>2","bytes":1,"preview":"x"}`,
    ]) {
      const lines = [`{"kind":"recv","t":0,${src},"conn":"1>2","bytes":5,"preview":"Hello"}`, wrong, `{"kind":"recv","t":2,${src},"conn":"1>2","bytes":5,"preview":"Hello"}`]
      const expected = await refusal(lines)
      expect(expected).toMatch(/^t\.ndjson, line 3: /)
      await expect(scanned(lines)).rejects.toThrow(expected!)
    }
  })
})
