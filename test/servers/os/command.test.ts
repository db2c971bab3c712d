import { describe, expect, it } from 'vitest'
import { shortCommand } from '../../../src/servers/os/command.ts'

describe('shortCommand', () => {
  it('cuts file paths to their last part and leaves everything else', () => {
    expect(shortCommand('/usr/bin/python3 -u /home/me/server.py 50007')).toBe('python3 -u server.py 50007')
    expect(shortCommand('./server ../lib/x.so ~/bin/tool')).toBe('server x.so tool')
    expect(shortCommand('[python3] <defunct>')).toBe('[python3] <defunct>')
    expect(shortCommand('nginx: worker process')).toBe('nginx: worker process')
    expect(shortCommand('/srv/dir/ --root=/srv')).toBe('/srv/dir/ --root=/srv')
    expect(shortCommand('')).toBe('')
  })
})

describe('shortCommand with a width', () => {
  it('cuts a long line with an ellipsis, leaving a short one alone', () => {
    expect(shortCommand('x'.repeat(60), 10)).toBe('xxxxxxxxx…')
    expect(shortCommand('/usr/bin/python3 /a/b/server.py --port 80', 40)).toBe('python3 server.py --port 80')
  })
})
