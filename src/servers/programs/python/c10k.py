# C10k (beyond the seeds): the same echo for a thousand clients, two ways.
#   python3 c10k.py threads PORT   one thread per client, as seed 003's thread-server.py
#   python3 c10k.py select PORT    one loop for all of them, as seed 001's multiconn server
# A thousand threads each hold a stack and a kernel task; a thousand sockets in one
# selector cost a few bytes each, and the loop touches only those that are ready.

import selectors
import socket
import sys
import threading


def handle_client(conn):                         # in its own thread: blocks only itself
    while True:
        data = conn.recv(1024)                   # waits for this client alone
        if not data:
            break
        conn.sendall(data)
    conn.close()                                 # and the thread ends


def serve_threads(lsock):
    while True:
        conn, addr = lsock.accept()              # the main thread only accepts
        threading.Thread(target=handle_client, args=(conn,), daemon=True).start()


def serve_select(lsock):
    sel = selectors.DefaultSelector()
    lsock.setblocking(False)
    sel.register(lsock, selectors.EVENT_READ, data=None)
    while True:
        for key, mask in sel.select(timeout=None):   # waits on every socket at once
            if key.data is None:
                conn, addr = lsock.accept()          # ready to accept: does not block
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, data=addr)
            else:
                conn = key.fileobj
                data = conn.recv(1024)               # ready to read: does not block
                if data:
                    conn.send(data)                  # small echoes fit the send buffer
                else:
                    sel.unregister(conn)
                    conn.close()                     # the peer closed


if len(sys.argv) != 3 or sys.argv[1] not in ("threads", "select"):
    print(f"Usage: {sys.argv[0]} threads|select <port>")
    sys.exit(1)

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", int(sys.argv[2])))
lsock.listen(1024)                               # room in the accept queue for a burst of a thousand
print(f"c10k ({sys.argv[1]}) listening on {lsock.getsockname()}", flush=True)
try:
    serve_threads(lsock) if sys.argv[1] == "threads" else serve_select(lsock)
except KeyboardInterrupt:
    pass
