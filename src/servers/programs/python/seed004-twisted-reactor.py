# Seed 004: the Twisted reactor with a length-prefixed echo. The client sends
# "<length> <data>"; the server echoes the data, however the bytes are split into
# dataReceived calls, and closes once it has echoed <length> bytes.
# Run: twistd -ny seed004-twisted-reactor.py (ECHO_PORT=n for another port than 50007)

import os

from twisted.internet.protocol import Protocol,Factory
from twisted.application import service,internet


class EchoCount(Protocol):
        """ a class implementing the echo protocol """

        def __init__(self):
                """ per protocol object initializations """
                # base class Protocol has no __init__ to call

                # prefix holding string of msg length
                self.prefix = b''
                # expected content length, 0 means not extracted yet
                self.contentlength = 0
                # count of bytes received until now
                self.recvcount = 0
                # count of data bytes (without header) received (and echoed)
                self.datalen = 0


        def dataReceived(self,data):
                """ called whenever data is received. May fire on partial or multiple msg reception """

                recvlen = len(data)
                self.recvcount += recvlen
                print("received data with len %s (total received=%s)" % (recvlen,self.recvcount))

                if self.contentlength==0:       # we still are in the process of extracting content length
                        i = data.find(b' ')
                        if i==-1:       # space not found, accumulate prefix
                                self.prefix += data     # NOTE: we don't do a security check on accumulated length...
                                return  # don't send anything back

                        self.prefix += data[:i]
                        self.contentlength = int(self.prefix)   # NOTE: we also don't check the validity of content length...
                        print("extracted content length=%s" % self.contentlength)

                        data = data[i+1:]       # skip space too


                # echo back received data
                self.transport.write(data)

                sendlen = len(data)
                self.datalen += sendlen         # real data length until now (without bytecount header)
                print("echoed data with len %s (total sent=%s)" % (sendlen,self.datalen))

                if self.datalen==self.contentlength:    # echoed the specified number of data bytes, shutdown connection
                        self.transport.loseConnection()




# main program part

# create the Factory object that will generate protcol objects
factory = Factory()
factory.protocol = EchoCount            # factory.protocol will be used to build actual protocol objects

# create an object that represents our application
# object must be called exactly 'application' to use the twistd launcher!
application = service.Application("echo")

# create the echo service that our application will offer
echo_service = internet.TCPServer(int(os.environ.get("ECHO_PORT", 50007)),factory)
# add the echo service to our application object
echo_service.setServiceParent(application)
