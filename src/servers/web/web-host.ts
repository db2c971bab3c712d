import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type net from 'node:net'
import os from 'node:os'
import { WebSocketServer, type WebSocket } from 'ws'
import { SockscopeError } from '../errors.ts'
import { Lab, type LabLimits } from '../lab/lab.ts'
import { contentSecurityPolicy } from './csp.ts'
import { ExportRoute } from './export-route.ts'
import { LabService } from './lab-service.ts'
import { isLoopback } from './loopback.ts'
import { API_PATH, CLOSE_CODES, RECORDINGS_PATH, TRACE_PATH } from './protocol.ts'
import { DEFAULT_SESSION_LIMITS, type SessionLimits, WebSession } from './session.ts'
import { sessionTraceName, streamSessionTrace } from './session-trace.ts'
import { staticFiles } from './static-files.ts'

export interface WebHostOptions {
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** Address to bind; loopback unless the user asks otherwise (and then only with allowRemote). */
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** A lab to serve; by default the host makes its own and stops it on close(). */
  lab?: Lab
  /** The caps of the lab it makes (`sockscope web --max-servers` …); ignored with `lab`. */
  labLimits?: Partial<LabLimits>
  /** Serve on an address other than loopback, behind a random token (`sockscope web --allow-remote`). */
  allowRemote?: boolean
  /** Addresses beyond loopback that servers and client workloads may use (`sockscope web --allow-target`). */
  allowTargets?: readonly string[]
  /** Sessions at once (`sockscope web --max-sessions`). */
  maxSessions?: number
  /** What one session may cost (see SessionLimits). */
  sessionLimits?: Partial<SessionLimits>
  /** Where the host says what it did on its own (a dropped session); stderr by default. */
  log?: (line: string) => void
  /**
   * Trace files to open at start (`sockscope web FILE...`): each is checked before the
   * host listens (BAD_OPTION if one cannot be read), served at RECORDINGS_PATH + its
   * index, and listed in hello with openAtStart.
   */
  recordings?: readonly string[]
  /** What relative `recordings` are resolved from; the working directory by default. */
  recordingsBase?: string
  /** Events the lab's session keeps (see LabServiceOptions.historyLimit). */
  historyLimit?: number
}

export interface WebHost {
  /** The URL to open; with allowRemote it carries the token. */
  readonly url: string
  readonly port: number
  /** The token every request must carry when served beyond loopback; null on loopback. */
  readonly token: string | null
  readonly service: LabService
  /** Stop serving, close every socket, stop the lab's runs; idempotent. */
  close(): Promise<void>
}

/** Cap on one request from a page; requests are a few hundred bytes. */
const MAX_REQUEST_BYTES = 64 * 1024
export const DEFAULT_MAX_SESSIONS = 32

/**
 * Web mode: the renderer's static files and the lab's API over a WebSocket, on one port
 * on 127.0.0.1. Only pages served from this very origin may talk to the lab: the
 * WebSocket refuses other Origins (a web page elsewhere cannot drive local servers), and
 * every request must name this host (DNS rebinding). Beyond loopback only on purpose
 * (allowRemote), and then every request and WebSocket must carry a random token: the
 * Host and Origin headers any program can send would not guard it.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const bindHost = options.host ?? '127.0.0.1'
  if (!isLoopback(bindHost) && !options.allowRemote)
    throw new SockscopeError('NOT_ALLOWED', `${bindHost} is not a loopback address: serving there lets other machines drive this lab; add --allow-remote to do it on purpose, behind a token`)
  const token = isLoopback(bindHost) ? null : crypto.randomBytes(24).toString('hex')
  const lab = options.lab ?? new Lab({ limits: options.labLimits })
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits }
  const log = options.log ?? ((line: string) => console.error(line))
  const statics = await staticFiles(options.rendererDir)
  const service = new LabService(lab, { host: 'web', allowTargets: options.allowTargets, historyLimit: options.historyLimit, allowTrace: isLoopback(bindHost) })
  if (options.recordings?.length) {
    try {
      await service.addRecordings(options.recordings, { base: options.recordingsBase, atStart: true })
    } catch (err) {
      if (options.lab) await service.stopAll()
      else await service.dispose()
      throw err
    }
  }

  const exports = new ExportRoute({ log })

  let port = 0
  // The names this host answers to: loopback, the address it serves on and, on a wildcard
  // address, every address of this machine's interfaces.
  let names = new Set<string>()
  let origins = new Set<string>()
  const cookieName = () => `sockscope_token_${port}`

  /** With a token: the query's `token`, or the cookie the first request with it set. */
  const tokenGiven = (req: http.IncomingMessage): 'query' | 'cookie' | null => {
    if (!token) return 'query'
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('token')
    if (query !== null && sameSecret(query, token)) return 'query'
    const cookie = parseCookie(req.headers.cookie)[cookieName()]
    return cookie !== undefined && sameSecret(cookie, token) ? 'cookie' : null
  }

  const server = http.createServer((req, res) => {
    if (!names.has(req.headers.host ?? '')) return refuse(res, 421, 'This server answers only to its own address.')
    const given = tokenGiven(req)
    if (!given) return refuse(res, 403, 'This lab is served beyond loopback: open the URL that `sockscope web` printed, with its token.')
    const pathname = new URL(req.url ?? '/', 'http://x').pathname
    // Export video… and Export PNG: the page's own request only (its Origin, not another site's form or script).
    const exporting = ExportRoute.owns(pathname)
    if (exporting && req.method === 'POST' && !origins.has(req.headers.origin ?? '')) return refuse(res, 403, 'Exports are for the lab’s own page.')
    if (req.method !== 'GET' && req.method !== 'HEAD' && !(exporting && req.method === 'POST')) return refuse(res, 405, 'Method not allowed.')
    // The page's own scripts and styles carry no token: a cookie for this origin serves them.
    if (token && given === 'query') res.setHeader('Set-Cookie', `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`)
    // CSP sources cannot name IPv6 literals; 'self' covers the page's own origin anyway.
    setSecurityHeaders(res, [...names].filter((name) => !name.startsWith('[')).map((name) => `ws://${name}`))
    if (pathname === TRACE_PATH || pathname.startsWith(RECORDINGS_PATH) || exporting) {
      // The lab's data goes to its own page, or to a URL typed in: not to a request another
      // site makes (even one on another port of this machine, which browsers call same-site).
      const site = req.headers['sec-fetch-site']
      if (site !== undefined && site !== 'same-origin' && site !== 'none') return refuse(res, 403, 'The lab’s recordings are for its own page.')
      if (exporting) return exports.handle(req, res, pathname)
      if (pathname === TRACE_PATH) return serveSessionTrace(service, req, res)
      return serveRecording(service, pathname.slice(RECORDINGS_PATH.length), req, res)
    }
    statics(req, res, () => refuse(res, 404, 'Not found.'))
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_REQUEST_BYTES })
  const sockets = new Set<WebSocket>()
  server.on('upgrade', (req, socket: net.Socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const allowed = url.pathname === API_PATH && names.has(req.headers.host ?? '') && origins.has(req.headers.origin ?? '') && tokenGiven(req) !== null
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    ws.on('error', () => ws.terminate())
    // Refused after the handshake, so that the page can read why (a refused handshake has no words).
    if (sockets.size >= maxSessions) {
      ws.close(CLOSE_CODES.LIMIT_REACHED, `LIMIT_REACHED: ${maxSessions} sessions are open, the most this lab allows; close one, or use sockscope web --max-sessions`)
      setTimeout(() => ws.terminate(), 5000).unref()
      return
    }
    sockets.add(ws)
    ws.on('close', () => sockets.delete(ws))
    new WebSession(ws, service, { limits, peer: `${req.socket.remoteAddress}:${req.socket.remotePort}`, log })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: bindHost, port: options.port ?? 0 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as net.AddressInfo).port
  names = new Set([...hostNames(bindHost)].map((name) => `${hostForUrl(name)}:${port}`))
  origins = new Set([...names].map((name) => `http://${name}`))
  const url = `http://${hostForUrl(bindHost)}:${port}/${token ? `?token=${token}` : ''}`

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    token,
    service,
    close() {
      closing ??= (async () => {
        for (const ws of sockets) ws.close(1001, 'server stopping')
        wss.close()
        await exports.close()
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

/** A listed recording's file, as it is on disk, streamed, with its length. */
function serveRecording(service: LabService, rest: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (!/^\d{1,6}$/.test(rest)) return refuse(res, 404, 'Not found.')
  let recording
  try {
    recording = service.recordings.get(Number(rest))
  } catch (err) {
    return refuse(res, 404, (err as Error).message)
  }
  void fs.promises.open(recording.path, 'r').then(
    async (handle) => {
      let size: number
      try {
        size = (await handle.stat()).size
      } catch (err) {
        await handle.close().catch(() => {})
        return refuse(res, 404, `cannot read ${recording.name}: ${(err as Error).message}`)
      }
      res.writeHead(200, {
        'Content-Type': 'application/x-ndjson',
        'Content-Length': size,
        'Cache-Control': 'no-store',
        'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(recording.name)}`,
      })
      if (req.method === 'HEAD' || size === 0) {
        await handle.close().catch(() => {})
        return res.end()
      }
      // The length was promised: a file that grows meanwhile is sent as it was; one cut shorter ends the response early.
      handle
        .createReadStream({ start: 0, end: size - 1, highWaterMark: 1024 * 1024 })
        .on('error', () => res.destroy())
        .pipe(res)
    },
    (err: NodeJS.ErrnoException) => refuse(res, 404, `cannot read ${recording.name}: ${err.code ?? err.message}`),
  )
}

/** Save trace in web mode: the live session as a trace file, a download streamed as it is written (session-trace.ts). */
function serveSessionTrace(service: LabService, req: http.IncomingMessage, res: http.ServerResponse): void {
  const savedAt = new Date()
  res.writeHead(200, {
    'Content-Type': 'application/x-ndjson',
    'Content-Disposition': `attachment; filename="${sessionTraceName(savedAt)}"`,
    'Cache-Control': 'no-store',
  })
  if (req.method === 'HEAD') return void res.end()
  streamSessionTrace(service.recorded(), res, savedAt).then(
    () => res.end(),
    () => res.destroy(),
  )
}

function hostNames(bindHost: string): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '::1', bindHost])
  if (bindHost === '0.0.0.0' || bindHost === '::') {
    names.add(os.hostname())
    for (const addresses of Object.values(os.networkInterfaces())) for (const a of addresses ?? []) if (!a.address.startsWith('fe80:')) names.add(a.address)
  }
  return names
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && crypto.timingSafeEqual(a, b)
}

function parseCookie(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=')
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim()
  }
  return out
}

function setSecurityHeaders(res: http.ServerResponse, sockets: string[]): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy({ header: true, connect: sockets }))
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
  res.setHeader('X-Frame-Options', 'DENY')
}

/** What a refused request's body may cost before its connection is cut. */
const LINGER_MS = 2000
const LINGER_BYTES = 1024 * 1024

/**
 * A refusal ends the connection rather than read the request's body (Node would read all of
 * it to reuse the connection: a 405 read 235 MB). The connection lingers briefly, as nginx's
 * does: closing it with the client's bytes unread would reset it, and the client could lose
 * the answer before reading it.
 */
function refuse(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', Connection: 'close' })
  const socket = res.socket
  res.end(message, () => {
    if (!socket || socket.destroyed) return
    // Node's own close (destroySoon, from the response's next 'finish' listener) would
    // destroy the socket as soon as its end is flushed: linger instead.
    queueMicrotask(() => socket.removeListener('finish', socket.destroy))
    let read = 0
    const cut = () => socket.destroy()
    const timer = setTimeout(cut, LINGER_MS)
    timer.unref()
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length
      if (read > LINGER_BYTES) cut()
    })
    socket.once('close', () => clearTimeout(timer))
    socket.once('end', cut)
  })
}
