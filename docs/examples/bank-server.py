#!/usr/bin/env python3
"""Seed 002's bank server, in Python 3: a threading.Thread per client, shared balances.

'jack:dp' deposits 1 into jack's account, 'jack:wd' withdraws 1 if there is any; the reply
is "jack's money: N" or 'jack has no money!!'. With --lock on (the seed), lock.acquire()
/ lock.release() guard each update; with --lock off two threads can read the same old
balance and one update is lost. The seed's `people[name] += 1` is a read and then a
write; --race-window holds the thread between the two (as Sockscope's bank app does, 1 ms)
so that the race shows in a short run, as it would in a long one without it.

    python3 docs/examples/bank-server.py --port 54321 --lock off
"""
import argparse
import socket
import threading
import time

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--host', default='127.0.0.1')
parser.add_argument('--port', type=int, default=54321, help='0 picks a free port')
parser.add_argument('--lock', choices=['on', 'off'], default='on', help='guard each update with the lock (the seed: on)')
parser.add_argument('--race-window', type=float, default=0.001, help='seconds between reading a balance and writing it back')
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # reuse tcp
sock.bind((args.host, args.port))
sock.listen(4)
people = {}
lock = threading.Lock()
print(f'listening on {args.host}:{sock.getsockname()[1]}', flush=True)


class TServer(threading.Thread):
    def __init__(self, socket, adr):
        threading.Thread.__init__(self, daemon=True)
        self.socket = socket
        self.address = adr

    def update(self, name, command):
        if name not in people:
            people[name] = 0
        balance = people[name]  # read ...
        if 'dp' in command:
            balance += 1
        elif 'wd' in command:
            if balance == 0:
                return balance
            balance -= 1
        else:  # any other command just reports the balance
            return balance
        time.sleep(args.race_window)
        people[name] = balance  # ... then write
        return balance

    def run(self):
        pending = b''
        while True:
            data = self.socket.recv(1024)
            if not data:
                break
            pending += data
            *lines, pending = pending.split(b'\n')
            for line in lines:
                cont = line.strip().decode('latin1').split(':')
                if len(cont) < 2:
                    continue
                if args.lock == 'on':
                    lock.acquire()
                balance = self.update(cont[0], cont[1])
                if args.lock == 'on':
                    lock.release()
                if balance == 0:
                    self.socket.sendall(f'{cont[0]} has no money!!\r\n'.encode('latin1'))
                else:
                    self.socket.sendall(f"{cont[0]}'s money: {balance}\r\n".encode('latin1'))
        self.socket.close()


try:
    while True:
        (client, adr) = sock.accept()
        TServer(client, adr).start()
except KeyboardInterrupt:
    pass
