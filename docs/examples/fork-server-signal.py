#!/usr/bin/env python3
"""Seed 003's fork-server-signal.py, in Python 3: a child per client, no zombies.

Like fork-server.py, but the parent never waits for its children: it sets SIGCHLD to
SIG_IGN, and on Linux the kernel then removes each child from the process table the
moment it exits (no zombie, so nothing to reap).

    python3 docs/examples/fork-server-signal.py --port 50007 --delay 1
"""
import argparse
import os
import signal
import socket
import time

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=50007, help='0 picks a free port')
parser.add_argument('--delay', type=float, default=5, help='seconds each child sleeps before it answers')
args = parser.parse_args()

sockobj = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sockobj.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sockobj.bind((args.host, args.port))
sockobj.listen(5)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # avoid child zombie processes
print(f'listening on {args.host}:{sockobj.getsockname()[1]}, pid {os.getpid()}', flush=True)


def now():
    return time.ctime(time.time())


def handle_client(connection):
    time.sleep(args.delay)  # simulate a blocking activity
    while True:
        data = connection.recv(1024)
        if not data:
            break
        connection.send(b'Echo=>%s at %s' % (data, now().encode()))
    connection.close()
    os._exit(0)


try:
    while True:
        connection, address = sockobj.accept()
        print('Server connected by', address, 'at', now(), flush=True)
        child = os.fork()
        if child == 0:
            sockobj.close()
            handle_client(connection)
        connection.close()
except KeyboardInterrupt:
    pass
