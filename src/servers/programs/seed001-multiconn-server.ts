import type { ProgramDef } from './program.ts'

export const seed001MulticonnServer: ProgramDef = {
  id: 'seed001-multiconn-server',
  language: 'python',
  title: 'The multi-connection server with selectors',
  summary: 'seed 001: one loop waits in sel.select() on every socket and serves those that are ready',
  model: 'select',
  control: 'loop',
  parts: [{ file: 'programs/python/seed001-multiconn-server.py' }],
  lineMap: {
    listen: { at: 'lsock.listen()', call: 'listen()' },
    'block:select': { at: 'events = sel.select(timeout=None)', call: 'sel.select()' },
    wakeup: { at: 'events = sel.select(timeout=None)', call: 'sel.select()' },
    accept: { at: 'conn, addr = sock.accept()', call: 'accept()' },
    recv: { at: 'rcv_data = sock.recv(1024)', call: 'recv()' },
    send: { at: 'sent = sock.send(data.outb)', call: 'send()' },
    'block:send': { at: 'sent = sock.send(data.outb)', call: 'send()' },
    close: { at: 'sock.close()', call: 'close()' },
  },
}
