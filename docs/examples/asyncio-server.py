#!/usr/bin/env python3
"""An echo server in asyncio: a coroutine per client on one event loop.

asyncio.start_server runs handle_client for each connection; every `await` (reading,
draining a write, asyncio.sleep) is where the loop may switch to another client. Each
client waits --delay seconds (without blocking the others), then gets
'Echo=><data> at <time>' for every message, until it closes.

    python3 docs/examples/asyncio-server.py --port 50007 --delay 1
"""
import argparse
import asyncio
import time

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=50007, help='0 picks a free port')
parser.add_argument('--delay', type=float, default=0, help='seconds each client waits (asyncio.sleep) before it is answered')
args = parser.parse_args()


def now():
    return time.ctime(time.time())


async def handle_client(reader, writer):
    await asyncio.sleep(args.delay)
    while True:
        data = await reader.read(1024)
        if not data:
            break
        writer.write(b'Echo=>%s at %s' % (data, now().encode()))
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle_client, args.host, args.port)
    print('listening on ' + ', '.join(f'{args.host}:{s.getsockname()[1]}' for s in server.sockets), flush=True)
    async with server:
        await server.serve_forever()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
