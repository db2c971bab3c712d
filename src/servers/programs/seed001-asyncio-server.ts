import type { ProgramDef } from './program.ts'

export const seed001AsyncioServer: ProgramDef = {
  id: 'seed001-asyncio-server',
  language: 'python',
  title: 'The echo server with asyncio',
  summary: 'seed 001: one task per client on one event loop; an await is the only place a task lets the others run',
  model: 'asyncio',
  control: 'tasks',
  parts: [{ file: 'programs/python/seed001-asyncio-server.py' }],
  lineMap: {
    listen: { at: 'server = await asyncio.start_server(', call: 'start_server()' },
    'block:select': { at: 'await server.serve_forever()', call: 'loop: select()' },
    wakeup: { at: 'await server.serve_forever()', call: 'loop: select()' },
    accept: { at: 'await server.serve_forever()', call: 'loop: accept()' },
    'task-start': { at: 'addr = writer.get_extra_info("peername")', call: 'handle_echo()' },
    'block:sleep': { at: 'await asyncio.sleep(DELAY)', call: 'await asyncio.sleep()' },
    'block:recv': { at: 'data = await reader.read(1024)', call: 'await reader.read()' },
    recv: { at: 'data = await reader.read(1024)', call: 'await reader.read()' },
    send: { at: 'writer.write(data)', call: 'writer.write()' },
    'block:send': { at: 'await writer.drain()', call: 'await writer.drain()' },
    close: { at: 'writer.close()', call: 'writer.close()' },
    'task-end': { at: 'await writer.wait_closed()', call: 'await writer.wait_closed()' },
  },
}
