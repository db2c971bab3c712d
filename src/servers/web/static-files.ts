import fs from 'node:fs'
import type http from 'node:http'
import path from 'node:path'

/**
 * The built renderer's files, and nothing else: each request's path is resolved to its
 * real path (fs.realpath, links followed) and served only if that lies inside the real
 * build folder, so a link planted in out/renderer cannot serve /etc/passwd. Files are
 * looked up per request, so a dangling link is one 404, not a host that cannot start.
 * (sirv, used before, scans the folder at startup and follows every link it finds.)
 */

/** The types the renderer's build emits (electron-vite: html, js, css, fonts, images, maps). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
}

export type StaticHandler = (req: http.IncomingMessage, res: http.ServerResponse, notFound: () => void) => void

/** Throws when `dir` itself cannot be resolved (the UI is not built). */
export async function staticFiles(dir: string): Promise<StaticHandler> {
  const root = await fs.promises.realpath(dir)
  const inside = (file: string) => file.startsWith(root + path.sep)

  const resolve = async (pathname: string): Promise<{ file: string; stats: fs.Stats } | undefined> => {
    let decoded: string
    try {
      decoded = decodeURIComponent(pathname)
    } catch {
      return undefined
    }
    const parts = decoded.split('/').filter(Boolean)
    // Dot files and `..` are never the build's; a NUL byte is never a file name.
    if (parts.some((p) => p.startsWith('.') || p.includes('\0') || p.includes('\\'))) return undefined
    const wanted = path.join(root, ...parts)
    for (const candidate of decoded.endsWith('/') || parts.length === 0 ? [path.join(wanted, 'index.html')] : [wanted, path.join(wanted, 'index.html')]) {
      try {
        const file = await fs.promises.realpath(candidate)
        if (!inside(file)) continue
        const stats = await fs.promises.stat(file)
        if (stats.isFile()) return { file, stats }
      } catch {
        // missing, dangling or unreadable: not served
      }
    }
    return undefined
  }

  return (req, res, notFound) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname
    void resolve(pathname).then((found) => {
      if (!found) return notFound()
      const { file, stats } = found
      const etag = `W/"${stats.size}-${stats.mtime.getTime()}"`
      res.setHeader('Cache-Control', 'no-cache')
      res.setHeader('ETag', etag)
      res.setHeader('Last-Modified', stats.mtime.toUTCString())
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304)
        return res.end()
      }
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'Content-Length': stats.size })
      if (req.method === 'HEAD') return res.end()
      fs.createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res)
    })
  }
}
