import { spawnSync } from 'node:child_process'
import path from 'node:path'

export const EXAMPLES = path.join(import.meta.dirname, '../../../docs/examples')

const found = new Map<string, string | null>()

/**
 * A Python 3 that can import `module`: $SOCKSCOPE_PYTHON, then `python3` on PATH, then
 * the system's /usr/bin/python3 (a pyenv or venv python3 on PATH may lack Twisted, which
 * Debian's python3-twisted installs for the system one). The interpreter's own path
 * (sys.executable), not a pyenv shim: a shim is a shell script that starts several
 * processes before Python, and tracing those too costs seconds. Throws, naming what to install.
 */
export function pythonWith(module = 'socket'): string {
  if (!found.has(module)) {
    const candidates = [process.env.SOCKSCOPE_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c))
    let python: string | null = null
    for (const candidate of candidates) {
      const probe = spawnSync(candidate, ['-c', `import ${module}, sys; print(sys.executable)`], { encoding: 'utf8' })
      if (probe.status === 0 && probe.stdout.trim()) {
        python = probe.stdout.trim()
        break
      }
    }
    found.set(module, python)
  }
  const python = found.get(module)
  if (!python) throw new Error(`no python3 here can import ${module} (Debian: apt-get install python3${module === 'twisted' ? '-twisted' : ''})`)
  return python
}
