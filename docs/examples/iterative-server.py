#!/usr/bin/env python3
"""Seed 000's naive echo server, in Python 3: one client at a time.

It accepts a connection, echoes what it reads until the client closes, closes, and only
then accepts the next: every other client waits in the accept queue meanwhile, in arrival
order. Trace it with `sockscope trace -- python3 docs/examples/iterative-server.py`.

    python3 docs/examples/iterative-server.py --port 50007
"""
import argparse
import socket

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=50007, help='0 picks a free port')
args = parser.parse_args()

sockobj = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sockobj.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sockobj.bind((args.host, args.port))
sockobj.listen(5)
print(f'listening on {args.host}:{sockobj.getsockname()[1]}', flush=True)

try:
    while True:
        connection, address = sockobj.accept()  # the next client, in arrival order
        print('server: connected by', address, flush=True)
        while True:
            data = connection.recv(1024)
            if not data:  # the client closed its side
                break
            connection.send(data)  # as the seed: one send, assumed to take it all
        connection.close()
except KeyboardInterrupt:
    pass
