#!/usr/bin/env python3
"""Seed 004's Twisted echo server, in Python 3: Protocol and Factory on the reactor.

Echo.dataReceived is called whenever data arrives (a part of a message, or several) and
writes it back with transport.write. The seed starts it with `twistd -ny`; this runs the
same Factory on the reactor directly, so that it takes its port on the command line
(`twistd -ny docs/examples/twisted-server.py` still works, on port 50007).

    python3 docs/examples/twisted-server.py --port 50007
"""
import argparse
import sys

from twisted.application import internet, service
from twisted.internet.protocol import Factory, Protocol


class Echo(Protocol):
    """ a class implementing the echo protocol """

    def dataReceived(self, data):
        """ called whenever data is received. May fire on partial or multiple msg reception """
        self.transport.write(data)  # transport wraps physical connection details


factory = Factory()
factory.protocol = Echo  # factory.protocol will be used to build actual protocol objects

if __name__ == '__main__':
    from twisted.internet import reactor

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=50007, help='0 picks a free port')
    args = parser.parse_args()
    port = reactor.listenTCP(args.port, factory, interface=args.host)
    print(f'listening on {args.host}:{port.getHost().port}', flush=True)
    reactor.run()
else:
    # Under twistd (-ny this file), as in the seed: the variable must be called application.
    application = service.Application('echo')
    echo_service = internet.TCPServer(50007, factory, interface='127.0.0.1')
    echo_service.setServiceParent(application)
