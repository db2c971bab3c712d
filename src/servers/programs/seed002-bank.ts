import type { ProgramDef } from './program.ts'

export const seed002Bank: ProgramDef = {
  id: 'seed002-bank',
  language: 'python',
  title: 'The bank: threads, a shared balance and its lock',
  summary: 'seed 002: a thread per client updates one shared dict; lock.acquire() makes each update whole',
  model: 'thread',
  control: 'process',
  parts: [{ file: 'programs/python/seed002-bank.py' }],
  lineMap: {
    listen: { at: 'sock.listen(4)', call: 'listen()' },
    'block:accept': { at: '(client, adr) = sock.accept()', call: 'accept()' },
    accept: { at: '(client, adr) = sock.accept()', call: 'accept()' },
    'thread-start': { at: "print('Client %s:%s connected.'", call: 'run()' },
    'block:recv': { at: 'data = self.socket.recv(1024)', call: 'recv()' },
    recv: { at: 'data = self.socket.recv(1024)', call: 'recv()' },
    'lock-wait': { at: 'lock.acquire()', call: 'lock.acquire()' },
    'lock-acquire': { at: 'lock.acquire()', call: 'lock.acquire()' },
    'state:read': { at: 'if (cont[0] in people) == False:', call: 'people[name]' },
    // The model's pause between reading a balance and writing it back: the window of
    // `people[name] += 1`, where another thread without the lock reads the same old value.
    'block:sleep': { at: 'people[cont[0]] += 1', call: 'people[name] += 1' },
    'state:write': { at: 'people[cont[0]] += 1', call: 'people[name] += 1' },
    send: { at: `self.socket.send((cont[0] + "'s money: "`, call: 'send()' },
    'block:send': { at: `self.socket.send((cont[0] + "'s money: "`, call: 'send()' },
    'lock-release': { at: 'lock.release()', call: 'lock.release()' },
    close: { at: 'self.socket.close()', call: 'close()' },
    'thread-end': { at: "print('Client %s:%s disconnected.'", call: 'run() returns' },
  },
}
