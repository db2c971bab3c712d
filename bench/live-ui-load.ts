/**
 * A stand-in load generator for bench/live-ui.bench.ts, run in its own process:
 * `node bench/live-ui-load.ts PORT CONNECTIONS`. Every connection sends 64 bytes and sends
 * again once all 64 came back (ping-pong). Prints `rt N` (round trips so far) once a
 * second, and exits when its stdin closes.
 */
import net from 'node:net'

const port = Number(process.argv[2])
const connections = Number(process.argv[3] ?? 100)
const PING = Buffer.alloc(64, 0x61)
let roundTrips = 0
const sockets: net.Socket[] = []

for (let i = 0; i < connections; i++) {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
  let pending = 0
  socket.on('connect', () => {
    pending = PING.length
    socket.write(PING)
  })
  socket.on('data', (chunk) => {
    pending -= chunk.length
    if (pending > 0) return
    roundTrips++
    pending = PING.length
    socket.write(PING)
  })
  socket.on('error', () => {})
  sockets.push(socket)
}

const timer = setInterval(() => process.stdout.write(`rt ${roundTrips}\n`), 1000)
process.stdin.resume()
process.stdin.on('end', () => {
  clearInterval(timer)
  for (const s of sockets) s.destroy()
  process.exit(0)
})
