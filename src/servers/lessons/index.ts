import { SockscopeError } from '../errors.ts'
import { asyncioLesson } from './asyncio.ts'
import { bankRaceLesson } from './bank-race.ts'
import { c10kLesson } from './c10k.ts'
import { forkReapLesson } from './fork-reap.ts'
import type { Lesson } from './lesson.ts'
import { multiconnLesson } from './multiconn.ts'
import { naiveServerLesson } from './naive-server.ts'
import { reactorFramingLesson } from './reactor-framing.ts'
import { selectTwoPortsLesson } from './select-two-ports.ts'
import { sigchldIgnoreLesson } from './sigchld-ignore.ts'
import { threadingTcpServerLesson } from './threading-tcpserver.ts'

/** The lessons in the order a learner takes them (issue 15's list). */
export const lessons: readonly Lesson[] = [
  naiveServerLesson,
  threadingTcpServerLesson,
  multiconnLesson,
  asyncioLesson,
  bankRaceLesson,
  forkReapLesson,
  sigchldIgnoreLesson,
  selectTwoPortsLesson,
  reactorFramingLesson,
  c10kLesson,
]

export function findLesson(id: string): Lesson {
  const lesson = lessons.find((l) => l.id === id)
  if (!lesson) throw new SockscopeError('UNKNOWN_LESSON', `unknown lesson '${id}' (known: ${lessons.map((l) => l.id).join(', ')})`)
  return lesson
}
