import type { ProgramDef } from './program.ts'

export const seed003ForkSigchldIgnore: ProgramDef = {
  id: 'seed003-fork-sigchld-ignore',
  language: 'python',
  title: 'The forking server with SIGCHLD ignored',
  summary: 'seed 003: signal.signal(SIGCHLD, SIG_IGN): the kernel reaps each child as it exits; no zombie appears',
  model: 'fork',
  control: 'process',
  parts: [{ file: 'programs/python/seed003-fork-sigchld-ignore.py' }],
  lineMap: {
    listen: { at: 'sockobj.listen(5)', call: 'listen()' },
    'block:accept': { at: 'connection, address = sockobj.accept( )', call: 'accept()' },
    accept: { at: 'connection, address = sockobj.accept( )', call: 'accept()' },
    fork: { at: 'childPid = os.fork( )', call: 'os.fork()' },
    child: { at: 'if childPid == 0:', call: 'os.fork() returned 0' },
    'block:sleep': { at: 'time.sleep(5)', call: 'time.sleep(5)' },
    'block:recv': { at: 'data = connection.recv(1024)', call: 'recv()' },
    recv: { at: 'data = connection.recv(1024)', call: 'recv()' },
    'block:send': { at: "connection.send(('Echo=>", call: 'send()' },
    send: { at: "connection.send(('Echo=>", call: 'send()' },
    close: { at: 'connection.close( )', call: 'close()' },
    exit: { at: 'os._exit(0)', call: 'os._exit(0)' },
  },
}
