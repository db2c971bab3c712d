#!/usr/bin/env python3
"""Seed 003's thread-server.py, in Python 3: a thread per client.

The dispatcher accepts and starts a thread (the seed's thread.start_new, which Python 3
calls _thread.start_new_thread) running handleClient, and goes straight back to accept.
Each thread sleeps --delay seconds, then echoes 'Echo=><data> at <time>' until EOF.

    python3 docs/examples/thread-server.py --port 50007 --delay 1
"""
import _thread as thread
import argparse
import socket
import time

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=50007, help='0 picks a free port')
parser.add_argument('--delay', type=float, default=5, help='seconds each thread sleeps before it answers')
args = parser.parse_args()

sockobj = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sockobj.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sockobj.bind((args.host, args.port))
sockobj.listen(5)
print(f'listening on {args.host}:{sockobj.getsockname()[1]}', flush=True)


def now():
    return time.ctime(time.time())


def handle_client(connection):  # in spawned thread: reply
    time.sleep(args.delay)  # simulate a blocking activity
    while True:
        data = connection.recv(1024)
        if not data:
            break
        connection.send(b'Echo=>%s at %s' % (data, now().encode()))
    connection.close()


try:
    while True:
        connection, address = sockobj.accept()
        print('Server connected by', address, 'at', now(), flush=True)
        thread.start_new_thread(handle_client, (connection,))
except KeyboardInterrupt:
    pass
