import type { ProgramDef } from './program.ts'

export const seed000ThreadingTcpServer: ProgramDef = {
  id: 'seed000-threading-tcpserver',
  language: 'python',
  title: 'ThreadingTCPServer and its handler class',
  summary: 'seed 000: socketserver starts a thread per client and calls setup(), handle(), finish()',
  model: 'socketserver',
  control: 'process',
  parts: [{ file: 'programs/python/seed000-threading-tcpserver.py' }],
  lineMap: {
    listen: { at: 'server = ThreadedTCPServer(', call: 'ThreadedTCPServer()' },
    'block:accept': { at: 'server.serve_forever()', call: 'serve_forever(): accept()' },
    accept: { at: 'server.serve_forever()', call: 'serve_forever(): accept()' },
    'thread-start': { at: 'def setup(self):', call: 'setup()' },
    'phase:setup': { at: 'accepted connection by', call: 'setup()' },
    'phase:handle': { at: '# for debugging purposes', call: 'handle()' },
    'block:recv': { at: 'data = self.request.recv(1024)', call: 'recv()' },
    recv: { at: 'data = self.request.recv(1024)', call: 'recv()' },
    'block:send': { at: 'self.request.send(data)', call: 'send()' },
    send: { at: 'self.request.send(data)', call: 'send()' },
    'phase:finish': { at: 'terminating connection to', call: 'finish()' },
    close: { at: 'terminating connection to', call: 'finish(): close()' },
    'thread-end': { at: 'terminating connection to', call: 'finish()' },
  },
}
