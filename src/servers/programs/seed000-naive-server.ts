import type { ProgramDef } from './program.ts'

export const seed000NaiveServer: ProgramDef = {
  id: 'seed000-naive-server',
  language: 'python',
  title: 'The naive echo server',
  summary: 'seed 000: one client at a time; the others wait in the accept queue',
  model: 'iterative',
  control: 'process',
  parts: [{ file: 'programs/python/seed000-naive-server.py' }],
  lineMap: {
    listen: { at: 'serversock.listen(5)', call: 'listen()' },
    'block:accept': { at: 'serversock.accept()', call: 'accept()' },
    accept: { at: 'serversock.accept()', call: 'accept()' },
    'block:recv': { at: 'clientsock.recv(1024)', call: 'recv()' },
    recv: { at: 'clientsock.recv(1024)', call: 'recv()' },
    'block:send': { at: 'clientsock.send(data)', call: 'send()' },
    send: { at: 'clientsock.send(data)', call: 'send()' },
    close: { at: 'clientsock.close()', call: 'close()' },
  },
}
