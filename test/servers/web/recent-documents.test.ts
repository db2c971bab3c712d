import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_RECENT, RecentDocuments } from '../../../src/servers/web/recent-documents.ts'

/** The recent traces list (File › Open Recent) in its JSON file, as the app finds it on its next start. */

let dir: string
beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockscope-recent-'))))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('RecentDocuments', () => {
  it('keeps the newest first, each once, at most MAX_RECENT, across starts', async () => {
    const file = path.join(dir, 'userData', 'recent-traces.json')
    const recent = await RecentDocuments.load(file)
    expect(recent.list()).toEqual([])
    await recent.add(['/t/a.ndjson', '/t/b.ndjson'])
    await recent.add(['/t/c.ndjson', '/t/a.ndjson'])
    expect(recent.list()).toEqual(['/t/c.ndjson', '/t/a.ndjson', '/t/b.ndjson'])
    for (let i = 0; i < MAX_RECENT + 3; i++) await recent.add([`/t/${i}.ndjson`])
    expect(recent.list()).toHaveLength(MAX_RECENT)
    expect(recent.list()[0]).toBe(`/t/${MAX_RECENT + 2}.ndjson`)
    const again = await RecentDocuments.load(file)
    expect(again.list()).toEqual(recent.list())
    await again.remove(`/t/${MAX_RECENT + 2}.ndjson`)
    expect((await RecentDocuments.load(file)).list()[0]).toBe(`/t/${MAX_RECENT + 1}.ndjson`)
    await again.clear()
    expect((await RecentDocuments.load(file)).list()).toEqual([])
  })

  it('reads a damaged, foreign or oversized file as an empty list, and mends it on the next change', async () => {
    const file = path.join(dir, 'damaged.json')
    for (const content of ['{"format":"sockscope-rec', '[1,2,3]', '{"format":"other","files":["/x"]}', `{"format":"sockscope-recent","files":["${'/x'.repeat(40_000)}"]}`]) {
      fs.writeFileSync(file, content)
      expect((await RecentDocuments.load(file)).list()).toEqual([])
    }
    fs.writeFileSync(file, JSON.stringify({ format: 'sockscope-recent', version: 1, files: ['/ok.ndjson', 'relative.ndjson', 7, '/ok.ndjson'] }))
    const recent = await RecentDocuments.load(file)
    expect(recent.list()).toEqual(['/ok.ndjson'])
    await recent.add(['/new.ndjson'])
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).files).toEqual(['/new.ndjson', '/ok.ndjson'])
  })

  it('keeps the list in memory and says why when its file cannot be written', async () => {
    const errors: string[] = []
    const recent = await RecentDocuments.load('/dev/full', { onError: (err) => errors.push((err as NodeJS.ErrnoException).code ?? err.message) })
    expect(await recent.add(['/t/a.ndjson'])).toEqual(['/t/a.ndjson'])
    expect(errors).toEqual(['ENOSPC'])
  })
})
