import { APP_OUTPUTS, buildStatus, runBuild } from '../../src/servers/web/artifacts.ts'

/** The built app (out/), building it first when it is missing or older than the sources. */
export async function ensureBuilt(): Promise<void> {
  if (!buildStatus(APP_OUTPUTS).ok) await runBuild()
}
