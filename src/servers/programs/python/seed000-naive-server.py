# Seed 000: the naive TCP echo server, the one its client (below in the seed) talks to.
# One connection at a time: while it serves one client, the others have connected
# (the kernel completed their handshakes) but wait in the accept queue, in order.
import socket
import sys

# the port to listen on; 50007 as in the seed, or one given as argument
port = 50007
if len(sys.argv)>1: port = int(sys.argv[1])

# the server addr to listen on: '' means all local interfaces
serveraddr = ('',port)

# create the server socket object
serversock = socket.socket(socket.AF_INET,socket.SOCK_STREAM)

# bind to the addr and listen: up to 5 connections may wait in the accept queue
serversock.bind(serveraddr)
serversock.listen(5)
print("server: listening on %s " % repr(serveraddr), flush=True)

while True:
        # wait for the next client: a blocking call
        clientsock, clientaddr = serversock.accept()
        print("server: accepted connection from %s " % repr(clientaddr))

        while True:
                # get data from the client - here we assume (unrealistically) that a msg arrives in one call to recv
                data = clientsock.recv(1024)
                if not data: break      # the client closed its side

                # echo data back to client
                clientsock.send(data) # theoretically this could send part of msg only...see sendall() method

        # close socket - only now can the next client in the queue be accepted
        print("server: shutting down connection to %s" % repr(clientaddr))
        clientsock.close()
