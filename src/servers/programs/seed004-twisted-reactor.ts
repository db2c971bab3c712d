import type { ProgramDef } from './program.ts'

export const seed004TwistedReactor: ProgramDef = {
  id: 'seed004-twisted-reactor',
  language: 'python',
  title: 'The Twisted reactor with a length prefix',
  summary: "seed 004: Twisted's reactor calls dataReceived() with whatever bytes arrived; the protocol frames them by their length prefix",
  model: 'reactor',
  control: 'loop',
  parts: [{ file: 'programs/python/seed004-twisted-reactor.py' }],
  lineMap: {
    // The reactor's own select() is inside Twisted (twistd runs it), not in this file: its
    // waits show as not in this code.
    listen: { at: 'echo_service = internet.TCPServer(', call: 'TCPServer()' },
    accept: { at: 'factory.protocol = EchoCount', call: 'buildProtocol()' },
    'phase:buildProtocol': { at: 'def __init__(self):', call: 'EchoCount()' },
    'phase:connectionMade': { at: 'self.datalen = 0', call: 'connectionMade()' },
    recv: { at: 'def dataReceived(self,data):', call: 'dataReceived()' },
    'phase:dataReceived': { at: 'recvlen = len(data)', call: 'dataReceived()' },
    send: { at: 'self.transport.write(data)', call: 'transport.write(): send()' },
    'block:send': { at: 'self.transport.write(data)', call: 'transport.write(): send()' },
    close: { at: 'self.transport.loseConnection()', call: 'loseConnection()' },
  },
}
