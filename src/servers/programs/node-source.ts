import fs from 'node:fs'
import path from 'node:path'
import type { ReadProgramFile } from './program.ts'

const SERVERS = path.join(import.meta.dirname, '..')

/** A program's files from src/servers/ on disk (the CLI, the tests). */
export const readProgramFile: ReadProgramFile = (file) => {
  try {
    return fs.readFileSync(path.join(SERVERS, file), 'utf8')
  } catch {
    return undefined
  }
}

/** Where a Python program's file is, to run it. */
export const programPath = (file: string): string => path.join(SERVERS, file)
