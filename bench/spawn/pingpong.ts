/**
 * A ping-pong load in a process of its own (so the lab's merging, in the bench process,
 * does not compete with it): `connections` clients each send 64 bytes, wait for all 64
 * back, and send again, for `seconds`. Prints one JSON line: round trips per second.
 * Usage: node pingpong.ts PORT CONNECTIONS SECONDS
 */
import net from 'node:net'

const [port, connections, seconds] = process.argv.slice(2).map(Number) as [number, number, number]
const PING = Buffer.alloc(64, 'p')
let roundTrips = 0
let measuring = false
let failed = 0

const sockets = await Promise.all(
  Array.from({ length: connections }, () => new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket))
    socket.setNoDelay(true)
    socket.once('error', reject)
  })),
)
let warm = 0
let allWarm = () => {}
const warmed = new Promise<void>((resolve) => (allWarm = resolve))
for (const socket of sockets) {
  let got = 0
  let first = true
  socket.on('error', () => failed++)
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length
    while (got >= 64) {
      got -= 64
      if (first) {
        first = false
        if (++warm === connections) allWarm()
      }
      if (measuring) roundTrips++
      socket.write(PING)
    }
  })
}
// Warm up: each connection's first round trip includes its handler's start. Measure from
// when every connection has had one (or 60 s have passed), after half a second more.
for (const socket of sockets) socket.write(PING)
await Promise.race([warmed, new Promise((r) => setTimeout(r, 60_000))])
await new Promise((r) => setTimeout(r, 500))
if (process.env.PINGPONG_SAY_WARM) console.error('WARM')
measuring = true
const from = performance.now()
await new Promise((r) => setTimeout(r, seconds * 1000))
measuring = false
const elapsed = (performance.now() - from) / 1000
console.log(JSON.stringify({ roundTripsPerS: Math.round(roundTrips / elapsed), warm, failed }))
for (const socket of sockets) socket.destroy()
process.exit(0)
