# Seed 002: a threading server with a bank in a shared dict. `jack:dp` deposits 1 into
# jack's account, `jack:wd` withdraws 1. Every thread sees `people`; the lock makes each
# update whole, so two threads cannot both read the old balance and lose one's write.
import socket, sys, threading

HOST = ''
PORT = 54321
if len(sys.argv) > 1: PORT = int(sys.argv[1])   # or a port given as argument

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1) #reuse tcp
sock.bind((HOST, PORT))
sock.listen(4)
people = {}
lock = threading.Lock()

class TServer(threading.Thread):
    def __init__(self, socket, adr):
        threading.Thread.__init__(self)
        self.socket = socket
        self.address= adr

    def run(self):
        global people
        print('Client %s:%s connected.' % self.address)
        while True:
            try:
                data = self.socket.recv(1024).decode()
                if not data:
                    break
                cont = data.split(":")
                if len(cont) > 1:
                    lock.acquire()  # the lock block starts: one thread at a time past here
                    if (cont[0] in people) == False:
                        people[cont[0]] = 0
                    if "dp" in cont[1]:
                        people[cont[0]] += 1
                    elif "wd" in cont[1]:
                        if people[cont[0]] > 0:
                            people[cont[0]] -= 1
                    if people[cont[0]] == 0:
                        self.socket.send((cont[0] + " has no money!!\r\n").encode())
                    else:
                        self.socket.send((cont[0] + "'s money: " + str(people[cont[0]]) + "\r\n").encode())
                    lock.release()  # the lock block ends: the next thread may go in
            except socket.timeout:
                break
        self.socket.close()
        print('Client %s:%s disconnected.' % self.address)

if __name__ == "__main__":
    print('listening on port %s' % PORT, flush=True)
    while True:
        (client, adr) = sock.accept()
        TServer(client, adr).start()
