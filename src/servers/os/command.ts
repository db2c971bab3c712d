/**
 * A command line with each file path cut to its last part (`/usr/bin/python3 /home/me/server.py 8080`
 * → `python3 server.py 8080`): on a log line or in a table, which program and script matter, not
 * where they live (and a screencast shows nobody's home directory). Cut to `max` characters with
 * an ellipsis when given. Runtime-neutral: the CLI and the renderer both use it.
 */
export function shortCommand(command: string, max = Number.POSITIVE_INFINITY): string {
  const short = command
    .split(' ')
    .map((arg) => (/^(\/|\.{1,2}\/|~\/)/.test(arg) && /[^/]$/.test(arg) ? arg.slice(arg.lastIndexOf('/') + 1) : arg))
    .join(' ')
    .trim()
  return short.length > max ? `${short.slice(0, max - 1)}…` : short
}
