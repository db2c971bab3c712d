# asyncio-server.py (seed 001's other way): coroutines on one event loop. Each client is
# served by its own task; an `await` is the only place a task lets the others run.

import asyncio
import sys

DELAY = 5  # seconds of simulated work per client, as seed 003's time.sleep(5), but awaited


async def handle_echo(reader, writer):
    addr = writer.get_extra_info("peername")
    print(f"Accepted connection from {addr}")
    await asyncio.sleep(DELAY)  # simulate a blocking activity: the loop serves the others meanwhile
    while True:
        data = await reader.read(1024)  # this task waits; the loop does not
        if not data:
            break
        print(f"Echoing {data!r} to {addr}")
        writer.write(data)
        await writer.drain()  # wait until the send buffer has room again
    print(f"Closing connection to {addr}")
    writer.close()
    await writer.wait_closed()


async def main(host, port):
    server = await asyncio.start_server(handle_echo, host, port)
    print(f"Listening on {(host, port)}", flush=True)
    async with server:
        await server.serve_forever()


if len(sys.argv) < 3:
    print(f"Usage: {sys.argv[0]} <host> <port> [delay]")
    sys.exit(1)

if len(sys.argv) > 3:
    DELAY = float(sys.argv[3])

try:
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
except KeyboardInterrupt:
    print("Caught keyboard interrupt, exiting")
