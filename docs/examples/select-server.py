#!/usr/bin/env python3
"""Seed 003's select-server.py, in Python 3: one thread, select() over two ports.

It listens on --port and --port + 1 (the seed's numPortSocks = 2) and loops on
select(readsocks, writesocks, []): a ready listening socket is accepted, a ready client
socket is read and echoed ('Echo=><data> at <time>'), and an empty read closes it.

    python3 docs/examples/select-server.py --port 50007
"""
import argparse
import socket
import time
from select import select

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=50007, help='the first of the two ports')
parser.add_argument('--ports', type=int, default=2, help='how many consecutive ports (the seed: 2)')
args = parser.parse_args()


def now():
    return time.ctime(time.time())


mainsocks, readsocks, writesocks = [], [], []
for i in range(args.ports):
    portsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    portsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    portsock.bind((args.host, args.port + i))  # bind on consecutive ports
    portsock.listen(5)
    mainsocks.append(portsock)
    readsocks.append(portsock)
print('listening on ' + ', '.join(f'{args.host}:{s.getsockname()[1]}' for s in mainsocks), flush=True)

try:
    while True:
        readables, writeables, exceptions = select(readsocks, writesocks, [])
        for sockobj in readables:
            if sockobj in mainsocks:
                newsock, address = sockobj.accept()  # accept should not block
                print('Connect:', address, id(newsock), flush=True)
                readsocks.append(newsock)
            else:
                data = sockobj.recv(1024)  # recv should not block
                if not data:  # closed by the client
                    sockobj.close()
                    readsocks.remove(sockobj)
                else:
                    # this may block: should really select for writes too
                    sockobj.send(b'Echo=>%s at %s' % (data, now().encode()))
except KeyboardInterrupt:
    pass
