/**
 * The checks main makes on what the page asks for, as plain functions (tested without
 * Electron): only the app's own page may call the API, navigate, or open anything.
 */

/** The page's URL without query or fragment, for comparing file:// URLs. */
function base(url: string): string | null {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}${u.pathname}`
  } catch {
    return null
  }
}

/** True when `url` is the app's own page (the built index.html, or the dev server's origin in development). */
export function isAppUrl(url: string | undefined | null, appUrl: string): boolean {
  if (!url) return false
  const app = new URL(appUrl)
  if (app.protocol === 'file:') return base(url) === base(appUrl)
  try {
    return new URL(url).origin === app.origin
  } catch {
    return false
  }
}

/** Permissions the page may have (notifications, camera, geolocation…): none. */
export const ALLOWED_PERMISSIONS: readonly string[] = []

export function isPermissionAllowed(permission: string): boolean {
  return ALLOWED_PERMISSIONS.includes(permission)
}
