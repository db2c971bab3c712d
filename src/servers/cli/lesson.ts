import { Command, Option } from 'commander'
import type { SockscopeEvent } from '../events.ts'
import { DEFAULT_LAB_LIMITS } from '../lab/lab.ts'
import { LANGUAGES, type Language } from '../lessons/languages.ts'
import type { Lesson } from '../lessons/lesson.ts'
import { fail, openLab, stopWhenAsked } from './common.ts'

/** The lessons, their texts and i18next load when a lesson command runs, not on every `sockscope` start. */
const load = async () => ({ ...(await import('../lessons/i18n.ts')), ...(await import('../lessons/index.ts')), ...(await import('../lessons/runner.ts')) })
type Loaded = Awaited<ReturnType<typeof load>>

const langOption = () => new Option('--lang <code>', 'language of the texts').choices([...LANGUAGES]).default('en')

/** One lesson in a line of the list, and as JSON. */
function describe(loaded: Loaded, lesson: Lesson, lang: Language, index: number) {
  const i18n = loaded.lessonI18n(lang)
  const texts = loaded.lessonTexts(i18n, lesson)
  return {
    number: index + 1,
    id: lesson.id,
    title: texts.title,
    summary: texts.summary,
    seed: lesson.seed,
    seedLabel: loaded.seedText(i18n, lesson),
    program: lesson.program,
    servers: Object.values(lesson.scenario.servers).map((s) => s.model),
    checkpoints: lesson.checkpoints.map((c) => c.id),
  }
}

/**
 * `sockscope lesson list` and `sockscope lesson run ID`: the lessons headless, on real
 * servers: every checkpoint is printed as observed or not, and the exit code is 1 if
 * one was not, so a teacher (or a test) can check a lesson still shows what it says.
 */
export function lessonCommand(): Command {
  const command = new Command('lesson').description('lessons that follow the seed tutorials: list them, or run one on real servers and check what it should show')
  // The subcommands speak like every other command (the error lines, exit 2 on a usage error).
  command.hook('preSubcommand', (parent, sub) => void sub.copyInheritedSettings(parent))

  command
    .command('list')
    .description('list the lessons')
    .option('--json', 'print {lessons: [{id, title, seed, program, checkpoints}]}')
    .addOption(langOption())
    .action(async (opts: { json?: boolean; lang: Language }) => {
      const loaded = await load()
      const rows = loaded.lessons.map((l, i) => describe(loaded, l, opts.lang, i))
      if (opts.json) return console.log(JSON.stringify({ lessons: rows }, null, 2))
      const width = Math.max(...rows.map((r) => r.id.length))
      for (const r of rows) console.log(`${String(r.number).padStart(2)}  ${r.id.padEnd(width)}  ${r.title} (${r.seedLabel})`)
    })

  command
    .command('run')
    .description("run a lesson's scenario on real servers and say whether each checkpoint was observed (exit 1 if one was not)")
    .argument('<id>', 'the lesson (see sockscope lesson list)')
    .option('--json', 'print {id, checkpoints: [{id, text, observed, figures}], question, answer}')
    .addOption(langOption())
    .option('--trace <file>', 'write every event as NDJSON')
    .action(async (id: string, opts: { json?: boolean; lang: Language; trace?: string }) => {
      const loaded = await load()
      const { findLesson, lessonI18n, lessonTexts, uiText, checkpointText, runScenario, evaluate } = loaded
      let lesson: Lesson
      try {
        lesson = findLesson(id)
      } catch (err) {
        fail(err)
      }
      const i18n = lessonI18n(opts.lang)
      const texts = lessonTexts(i18n, lesson)
      if (!opts.json) {
        console.log(`${texts.title} (${loaded.seedText(i18n, lesson)})`)
        texts.steps.forEach((step, i) => console.log(`  ${i + 1}. ${step}`))
        console.log(uiText(i18n, 'running'))
      }
      // A workload counts against the lab's caps until its driver has exited, a moment after
      // its results: a scenario's clients in all are what its lab admits at once.
      const clients = lesson.scenario.clients.reduce((sum, step) => sum + (step.spec.count ?? 8), 0)
      // The trace says which run ids the lesson's servers and workloads got (a lesson record), so
      // `sockscope web` of it opens with the lesson's checkpoints.
      const { lab, trace, shutdown } = await openLab(opts.trace, `lesson run ${id}`, { limits: { clients: Math.max(clients, DEFAULT_LAB_LIMITS.clients) } }, { recordsLater: true }).catch(fail)
      const events: SockscopeEvent[] = []
      lab.onEvents((batch) => void events.push(...batch))
      stopWhenAsked(lab, () => void shutdown().then(() => process.exit(130), fail))
      try {
        const t = lab.clock.nowUs()
        const run = await runScenario(lesson, lab)
        trace?.writeLesson({ t, lesson: lesson.id, runs: run.runs })
        // Every process has ended and every batch is in: the checkpoints see the whole run.
        await shutdown()
        const checkpoints = evaluate(lesson, { events, runs: run.runs }).map((c) => ({
          id: c.id,
          text: checkpointText(i18n, lesson, c.id, c.figures),
          observed: c.observed,
          figures: c.figures,
        }))
        if (opts.json) console.log(JSON.stringify({ id: lesson.id, lang: opts.lang, title: texts.title, checkpoints, question: texts.question, answer: texts.answer, problems: run.problems }, null, 2))
        else {
          for (const c of checkpoints) console.log(`${c.observed ? '✓' : '✗'} ${c.text}${c.observed ? '' : ` (${uiText(i18n, 'notObserved')})`}`)
          console.log(`${uiText(i18n, 'question')}: ${texts.question}`)
          console.log(`${uiText(i18n, 'answer')}: ${texts.answer}`)
        }
        for (const problem of run.problems) console.error(`sockscope: ${problem}`)
        process.exit(checkpoints.every((c) => c.observed) && !run.problems.length ? 0 : 1)
      } catch (err) {
        await shutdown().catch(fail)
        fail(err)
      }
    })
  return command
}
