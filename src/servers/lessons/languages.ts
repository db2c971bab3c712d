/** The languages the lessons are written in: English, and Greek, the language of three of the seeds. */
export const LANGUAGES = ['en', 'el'] as const
export type Language = (typeof LANGUAGES)[number]
