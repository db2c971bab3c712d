import type { ProgramDef } from './program.ts'

export const seed003SelectTwoPorts: ProgramDef = {
  id: 'seed003-select-two-ports',
  language: 'python',
  title: 'select() over two ports',
  summary: 'seed 003: one loop multiplexes two listening ports and every client; its send() can block them all',
  model: 'select',
  control: 'loop',
  parts: [{ file: 'programs/python/seed003-select-two-ports.py' }],
  lineMap: {
    listen: { at: 'portsock.listen(5)', call: 'listen()' },
    'block:select': { at: 'select(readsocks, writesocks, [])', call: 'select()' },
    wakeup: { at: 'select(readsocks, writesocks, [])', call: 'select()' },
    accept: { at: 'newsock, address = sockobj.accept( )', call: 'accept()' },
    recv: { at: 'data = sockobj.recv(1024)', call: 'recv()' },
    'block:recv': { at: 'data = sockobj.recv(1024)', call: 'recv()' },
    send: { at: "sockobj.send(('Echo=>", call: 'send()' },
    'block:send': { at: "sockobj.send(('Echo=>", call: 'send(): the whole loop waits' },
    close: { at: 'sockobj.close( )', call: 'close()' },
  },
}
