import type { ProgramDef } from './program.ts'

export const seed003ForkServer: ProgramDef = {
  id: 'seed003-fork-server',
  language: 'python',
  title: 'The forking server',
  summary: 'seed 003: a child process per client; exited children stay zombies until reapChildren() on the next accept',
  model: 'fork',
  control: 'process',
  parts: [{ file: 'programs/python/seed003-fork-server.py' }],
  lineMap: {
    listen: { at: 'sockobj.listen(5)', call: 'listen()' },
    'block:accept': { at: 'connection, address = sockobj.accept( )', call: 'accept()' },
    accept: { at: 'connection, address = sockobj.accept( )', call: 'accept()' },
    reap: { at: '# clean up exited children now', call: 'reapChildren(): os.waitpid()' },
    fork: { at: 'childPid = os.fork( )', call: 'os.fork()' },
    child: { at: 'if childPid == 0:', call: 'os.fork() returned 0' },
    'block:sleep': { at: 'time.sleep(5)', call: 'time.sleep(5)' },
    'block:recv': { at: 'data = connection.recv(1024)', call: 'recv()' },
    recv: { at: 'data = connection.recv(1024)', call: 'recv()' },
    'block:send': { at: "connection.send(('Echo=>", call: 'send()' },
    send: { at: "connection.send(('Echo=>", call: 'send()' },
    close: { at: 'connection.close( )', call: 'close()' },
    exit: { at: 'os._exit(0)', call: 'os._exit(0): zombie until reaped' },
  },
}
