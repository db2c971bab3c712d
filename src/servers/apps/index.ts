import { SockscopeError } from '../errors.ts'
import type { App } from './app.ts'
import { bankApp } from './bank.ts'
import { echoApp } from './echo.ts'
import { echoTimeApp } from './echo-time.ts'
import { lengthPrefixedApp } from './length-prefixed.ts'

export const apps: readonly App[] = [echoApp, echoTimeApp, bankApp, lengthPrefixedApp]

export function findApp(name: string): App {
  const app = apps.find((a) => a.name === name)
  if (!app) {
    const known = apps.map((a) => a.name).join(', ')
    throw new SockscopeError('UNKNOWN_APP', `unknown app '${name}' (known: ${known})`)
  }
  return app
}
