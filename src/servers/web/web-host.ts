import http from 'node:http'
import type net from 'node:net'
import sirv from 'sirv'
import { WebSocketServer, type WebSocket } from 'ws'
import { Lab } from '../lab/lab.ts'
import { contentSecurityPolicy } from './csp.ts'
import { LabService } from './lab-service.ts'
import { API_PATH, type HostMessage } from './protocol.ts'

export interface WebHostOptions {
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** Address to bind; loopback unless the user asks otherwise. */
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** A lab to serve; by default the host makes its own and stops it on close(). */
  lab?: Lab
}

export interface WebHost {
  readonly url: string
  readonly port: number
  readonly service: LabService
  /** Stop serving, close every socket, stop the lab's runs; idempotent. */
  close(): Promise<void>
}

/** Cap on one request from a page; requests are a few hundred bytes. */
const MAX_REQUEST_BYTES = 64 * 1024

/**
 * Web mode: the renderer's static files and the lab's API over a WebSocket, on one port
 * on 127.0.0.1. Only pages served from this very origin may talk to the lab: the
 * WebSocket refuses other Origins (a web page elsewhere cannot drive local servers), and
 * every request must name this host (DNS rebinding).
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const bindHost = options.host ?? '127.0.0.1'
  const lab = options.lab ?? new Lab()
  const service = new LabService(lab, { host: 'web' })
  let port = 0
  const names = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${hostForUrl(bindHost)}:${port}`])
  const origins = () => new Set([...names()].map((name) => `http://${name}`))

  const statics = sirv(options.rendererDir, {
    dev: false,
    etag: true,
    dotfiles: false,
    setHeaders: (res) => {
      res.setHeader('Cache-Control', 'no-cache')
    },
  })

  const server = http.createServer((req, res) => {
    if (!names().has(req.headers.host ?? '')) return refuse(res, 421, 'This server answers only to its own address.')
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Method not allowed.')
    // CSP sources cannot name IPv6 literals; 'self' covers the page's own origin anyway.
    setSecurityHeaders(res, [...names()].filter((name) => !name.startsWith('[')).map((name) => `ws://${name}`))
    statics(req, res, () => refuse(res, 404, 'Not found.'))
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket: net.Socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const allowed = url.pathname === API_PATH && names().has(req.headers.host ?? '') && origins().has(req.headers.origin ?? '')
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    sockets.add(ws)
    const send = (message: HostMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
    }
    const detach = service.attach(send)
    ws.on('message', (data, isBinary) => {
      let raw: unknown
      try {
        raw = isBinary ? undefined : JSON.parse(String(data))
      } catch {
        raw = undefined
      }
      void service.handle(raw).then(send)
    })
    ws.on('close', () => {
      detach()
      sockets.delete(ws)
    })
    ws.on('error', () => ws.terminate())
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: bindHost, port: options.port ?? 0 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as net.AddressInfo).port
  const url = `http://${hostForUrl(bindHost)}:${port}/`

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    service,
    close() {
      closing ??= (async () => {
        for (const ws of sockets) ws.close(1001, 'server stopping')
        wss.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        if (options.lab) await service.stopAll()
        else await service.dispose()
      })()
      return closing
    },
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function setSecurityHeaders(res: http.ServerResponse, sockets: string[]): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy({ header: true, connect: sockets }))
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
  res.setHeader('X-Frame-Options', 'DENY')
}

function refuse(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' })
  res.end(message)
}
