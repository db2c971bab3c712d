import { describe, expect, it } from 'vitest'
import { csvField, csvRow, whoClosed } from '../../../src/servers/export/csv.ts'

describe('csv', () => {
  it('quotes a field with a comma, a quote, a newline or edge spaces, and doubles its quotes', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField(12)).toBe('12')
    expect(csvField(null)).toBe('')
    expect(csvField(undefined)).toBe('')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('cr\r')).toBe('"cr\r"')
    expect(csvField(' padded')).toBe('" padded"')
    expect(csvRow(['49920>40369', 1, null, 'client (reset)', 'x,y'])).toBe('49920>40369,1,,client (reset),"x,y"')
  })

  it('who closed: the side whose close was its own; a reset on either side says so', () => {
    const close = (t: number, by: 'local' | 'peer' | 'error', reset: 'sent' | 'received' | null = null) => ({ t, by, reset, error: null, seq: 0 })
    expect(whoClosed({ clientClose: close(2, 'local'), serverClose: close(1, 'peer') })).toMatchObject({ side: 'client', reset: false })
    expect(whoClosed({ clientClose: close(2, 'peer'), serverClose: close(1, 'local') })).toMatchObject({ side: 'server', reset: false })
    expect(whoClosed({ clientClose: close(1, 'local', 'sent'), serverClose: close(2, 'error', 'received') })).toMatchObject({ side: 'client', reset: true })
    expect(whoClosed({ clientClose: null, serverClose: close(1, 'peer') })).toMatchObject({ side: 'client' })
    expect(whoClosed({ clientClose: null, serverClose: null })).toMatchObject({ side: null, close: null })
  })
})
