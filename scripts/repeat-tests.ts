/**
 * Catch a flaky test before CI does: run test files N times in a row and count failures.
 *
 *   npm run test:repeat                          # the timing-sensitive files, 10 times
 *   npm run test:repeat -- --times 5 test/servers/models/select.test.ts
 *   npm run test:repeat -- --load 2              # with two busy loops keeping both cores busy
 *
 * Each round is a whole `vitest run` of those files (a fresh process, as CI runs them);
 * its JSON report says which tests failed. The summary names every test that failed at
 * least once and in how many rounds. Exits 1 if any round failed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'

/** What depends on real time, real processes and OS sampling: where flakes come from. */
const TIMING_SENSITIVE = ['test/servers/models', 'test/servers/apps', 'test/servers/os', 'test/servers/clients', 'test/servers/lab', 'test/servers/cli']

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    times: { type: 'string', short: 'n', default: '10' },
    load: { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log('usage: npm run test:repeat -- [--times N] [--load CORES] [test files or folders...]')
  console.log(`default files: ${TIMING_SENSITIVE.join(' ')}`)
  process.exit(0)
}
const times = Number(values.times)
const load = Number(values.load)
if (!Number.isInteger(times) || times < 1 || times > 1000) {
  console.error(`repeat-tests: --times must be a whole number from 1 to 1000 (got ${values.times})`)
  process.exit(2)
}
if (!Number.isInteger(load) || load < 0 || load > 64) {
  console.error(`repeat-tests: --load must be a number of busy loops from 0 to 64 (got ${values.load})`)
  process.exit(2)
}
const files = positionals.length > 0 ? positionals : TIMING_SENSITIVE
const vitest = path.resolve('node_modules/vitest/vitest.mjs')

interface Report {
  numFailedTests: number
  numTotalTests: number
  testResults: { name: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[]
}

/** Busy loops in child processes, so the load is real CPU contention, not this process's. */
function startLoad(): ChildProcess[] {
  return Array.from({ length: load }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
}

function runOnce(reportFile: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vitest, 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${reportFile}`, ...files], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.on('exit', (code) => resolve(code))
  })
}

const dir = mkdtempSync(path.join(tmpdir(), 'sockscope-repeat-'))
const busy = startLoad()
const stopLoad = () => busy.forEach((p) => p.kill('SIGKILL'))
process.on('exit', stopLoad)
process.on('SIGINT', () => process.exit(130))

const failures = new Map<string, { rounds: number; message: string }>()
const rounds: string[] = []
let failedRounds = 0
const started = performance.now()
try {
  for (let round = 1; round <= times; round++) {
    const reportFile = path.join(dir, `round-${round}.json`)
    const roundStarted = performance.now()
    console.log(`\n── round ${round}/${times}${load ? ` (with ${load} busy loop${load > 1 ? 's' : ''})` : ''}`)
    const code = await runOnce(reportFile)
    const seconds = ((performance.now() - roundStarted) / 1000).toFixed(1)
    let report: Report | undefined
    try {
      report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report
    } catch {}
    if (!report) {
      failedRounds++
      rounds.push(`round ${round}: vitest exited ${code} without a report (${seconds} s)`)
      failures.set('(no report: vitest itself failed)', { rounds: (failures.get('(no report: vitest itself failed)')?.rounds ?? 0) + 1, message: `exit code ${code}` })
      continue
    }
    const failed = report.testResults.flatMap((file) =>
      file.assertionResults.filter((t) => t.status === 'failed').map((t) => ({ name: `${path.relative(process.cwd(), file.name)} › ${t.fullName}`, message: t.failureMessages[0] ?? '' })),
    )
    if (failed.length > 0 || code !== 0) failedRounds++
    for (const f of failed) failures.set(f.name, { rounds: (failures.get(f.name)?.rounds ?? 0) + 1, message: f.message.split('\n')[0]! })
    rounds.push(`round ${round}: ${failed.length} failed of ${report.numTotalTests} (${seconds} s)`)
  }
} finally {
  stopLoad()
  rmSync(dir, { recursive: true, force: true })
}

console.log(`\n── ${times} rounds of ${files.join(' ')}${load ? `, ${load} busy loops` : ''}, ${((performance.now() - started) / 1000).toFixed(0)} s`)
for (const line of rounds) console.log(line)
for (const [name, { rounds: n, message }] of failures) console.log(`FLAKY ${n}/${times}  ${name}\n        ${message}`)
console.log(`${failedRounds} of ${times} rounds failed`)
process.exit(failedRounds > 0 ? 1 : 0)
