#!/usr/bin/env python3
"""Seed 003's forking echo server (fork-server.py), in Python 3, to observe with Sockscope.

Each connection gets a child process (os.fork) that sleeps --delay seconds, echoes every
message as 'Echo=><data> at <time>', closes and exits. The parent reaps exited children
each time it accepts a connection, as the seed's reapChildren does; with --no-reap it
never does, so every child that has served its client stays in the process table as a
zombie (state Z, `[python3] <defunct>`) until the server exits.

    python3 docs/examples/fork-server.py --port 50009 --delay 1 --no-reap
"""
import argparse
import os
import socket
import time

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=50007, help='0 picks a free port')
parser.add_argument('--delay', type=float, default=5, help='seconds each child sleeps before it answers')
parser.add_argument('--no-reap', action='store_true', help='never wait for exited children: they stay zombies')
args = parser.parse_args()


def now():
    return time.ctime(time.time())


active_children = []


def reap_children():
    # waitpid(0, WNOHANG): collect any exited child without blocking, as the seed does.
    while active_children:
        pid, _status = os.waitpid(0, os.WNOHANG)
        if not pid:
            break
        active_children.remove(pid)


def handle_client(connection):
    time.sleep(args.delay)  # simulate a blocking activity
    while True:
        data = connection.recv(1024)
        if not data:
            break
        connection.sendall(b'Echo=>%s at %s' % (data, now().encode()))
    connection.close()
    os._exit(0)  # leave without running the parent's code


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((args.host, args.port))
server.listen(5)
print(f'listening on {args.host}:{server.getsockname()[1]}, pid {os.getpid()}', flush=True)

try:
    while True:
        connection, address = server.accept()
        print('Server connected by', address, 'at', now(), flush=True)
        if not args.no_reap:
            reap_children()
        child = os.fork()
        if child == 0:
            server.close()
            handle_client(connection)
        connection.close()
        active_children.append(child)
except KeyboardInterrupt:
    pass
