# Seed 000: many threads with the socketserver module (SocketServer in Python 2).
import socket
import socketserver
import sys
import threading

class EchoRequestHandler(socketserver.BaseRequestHandler):
        """ Class to handle incoming echo requests. This can be viewed as the
        application protocol implementer class. """

        def handle(self):
                """ servicing requests of clients """

                cur_thread = threading.current_thread() # for debugging purposes

                while True:

                        data = self.request.recv(1024)  # self.request for TCP is a socket object

                        if not data: break

                        print("server@%s: received from %s data %s" % (cur_thread.name,self.client_address,data))
                        self.request.send(data) # echo data back to client


        def setup(self):
                """ performs any init actions before handle(). Here for debugging only """

                cur_thread = threading.current_thread()
                print("server@%s: accepted connection by %s" % (cur_thread.name,self.client_address))


        def finish(self):
                """ performs any cleanup actions after handle(). Here for debugging only """

                cur_thread = threading.current_thread()
                print("server@%s: terminating connection to %s" % (cur_thread.name,self.client_address))


class ThreadedTCPServer(socketserver.ThreadingMixIn,socketserver.TCPServer):
        """ defines a threaded TCPServer class """
        pass    # nothing more is needed, we'll create our server from this mixin class


# the port: 50007 as in the seed, or one given as argument
port = 50007
if len(sys.argv)>1: port = int(sys.argv[1])

# create the server object
server = ThreadedTCPServer(('',port), EchoRequestHandler)

# serve for ever incoming requests
try:
        print("server: starting", flush=True)
        server.serve_forever()
except KeyboardInterrupt:
        print("\nKeyborad Interrupt detected")
finally:
        server.server_close()
        print("server: shut down")
