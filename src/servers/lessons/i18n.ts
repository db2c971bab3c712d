import i18next, { type i18n } from 'i18next'
import el from './locales/el.json' with { type: 'json' }
import en from './locales/en.json' with { type: 'json' }
import type { Figures, Lesson } from './lesson.ts'

import { LANGUAGES, type Language } from './languages.ts'

export { LANGUAGES, type Language }

export const resources = { en: { translation: en }, el: { translation: el } } as const

/**
 * An i18next instance over the lessons' texts, in `lng`, falling back to English for a
 * text not yet translated. Synchronous: the resources are bundled, nothing is fetched.
 */
export function lessonI18n(lng: Language = 'en'): i18n {
  const instance = i18next.createInstance()
  void instance.init({
    lng,
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    resources,
    initAsync: false,
    // Plain text for a terminal or a Vue text binding (which escapes it itself), never HTML.
    interpolation: { escapeValue: false },
  })
  return instance
}

export interface LessonTexts {
  title: string
  summary: string
  steps: string[]
  question: string
  answer: string
}

export function lessonTexts(i18n: i18n, lesson: Lesson): LessonTexts {
  const key = `lessons.${lesson.id}`
  const steps = i18n.t(`${key}.steps`, { returnObjects: true }) as unknown
  return {
    title: i18n.t(`${key}.title`),
    summary: i18n.t(`${key}.summary`),
    steps: Array.isArray(steps) ? steps.map(String) : [],
    question: i18n.t(`${key}.question`),
    answer: i18n.t(`${key}.answer`),
  }
}

/** A checkpoint's sentence with its figures in it (numbers in the language's own format: 3,5 in Greek). */
export function checkpointText(i18n: i18n, lesson: Lesson, checkpoint: string, figures: Figures): string {
  return i18n.t(`lessons.${lesson.id}.checkpoints.${checkpoint}`, figures)
}

/** Which seed a lesson follows, in words ("seed 003"; C10k goes beyond the seeds). */
export function seedText(i18n: i18n, lesson: Lesson): string {
  return lesson.seed.file === 'beyond' ? uiText(i18n, 'beyondSeeds') : uiText(i18n, 'seed', { file: lesson.seed.file })
}

/** Words of the runner's own (observed, not observed, Question, Answer), in the same language. */
export function uiText(i18n: i18n, key: string, figures: Figures = {}): string {
  return i18n.t(`ui.${key}`, figures)
}
