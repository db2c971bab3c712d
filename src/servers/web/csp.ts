/**
 * The Content Security Policy of the renderer, in one place: the built index.html carries
 * it as a meta tag (Electron loads the file directly), and web mode also sends it as a
 * header, with frame-ancestors, which a meta tag cannot set. Nothing remote, nothing
 * inline, no eval.
 */
export function contentSecurityPolicy(options: { connect?: string[]; header?: boolean } = {}): string {
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${["'self'", ...(options.connect ?? [])].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ]
  if (options.header) directives.push("frame-ancestors 'none'")
  return directives.join('; ')
}
