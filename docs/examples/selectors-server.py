#!/usr/bin/env python3
"""Seed 001's multiconn-server.py, in Python 3: one thread, a selectors.DefaultSelector.

The listening socket and every accepted one are non-blocking and registered with the
selector (epoll on Linux); each wake-up accepts, reads into the connection's outb, or
echoes what outb holds when the socket is writable.

    python3 docs/examples/selectors-server.py 127.0.0.1 65432
"""
import selectors
import socket
import sys
import types

sel = selectors.DefaultSelector()

if len(sys.argv) != 3:
    print(f'Usage: {sys.argv[0]} <host> <port>')
    sys.exit(1)

host, port = sys.argv[1], int(sys.argv[2])
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind((host, port))
lsock.listen()
print(f'Listening on {(host, lsock.getsockname()[1])}', flush=True)
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, data=None)


def accept_wrapper(sock):
    conn, addr = sock.accept()  # Should be ready to read
    print(f'Accepted connection from {addr}', flush=True)
    conn.setblocking(False)
    data = types.SimpleNamespace(addr=addr, inb=b'', outb=b'')
    events = selectors.EVENT_READ | selectors.EVENT_WRITE
    sel.register(conn, events, data=data)


def service_connection(key, mask):
    sock = key.fileobj
    data = key.data
    if mask & selectors.EVENT_READ:
        recv_data = sock.recv(1024)  # Should be ready to read
        if recv_data:
            data.outb += recv_data
        else:
            print(f'Closing connection to {data.addr}', flush=True)
            sel.unregister(sock)
            sock.close()
    if mask & selectors.EVENT_WRITE:
        if data.outb:
            sent = sock.send(data.outb)  # Should be ready to write
            data.outb = data.outb[sent:]


try:
    while True:
        events = sel.select(timeout=None)
        for key, mask in events:
            if key.data is None:
                accept_wrapper(key.fileobj)
            else:
                service_connection(key, mask)
except KeyboardInterrupt:
    print('Caught keyboard interrupt, exiting')
finally:
    sel.close()
