import { watch } from 'vue'
import { useLabStore } from '../stores/lab.ts'
import { useLessonStore } from '../stores/lesson.ts'
import { usePresenterStore } from '../stores/presenter.ts'
import { useRecordingStore } from '../stores/recording.ts'
import { useTraceStore } from '../stores/trace.ts'
import { LabClient } from './lab-client.ts'
import { pickTransport } from './pick.ts'
import type { Transport } from './transport.ts'

/**
 * All IPC wiring, in one place: host messages to the stores that own them. The stores
 * call the lab through the client given here.
 *
 * While the screen shows a recording (stores/recording.ts), the lab's events and clears
 * are kept out of the trace store, which holds the recording then; the runs, the
 * problems and the connection's state still reach the lab store. Going back to live
 * connects again (a fresh transport from `makeTransport`): the host answers every new
 * connection with its hello and its whole history, so the live session comes back
 * complete, and nothing of it is kept aside meanwhile (memory stays bounded however long
 * the recording is looked at).
 */
export function connectLab(transport: Transport = pickTransport(), makeTransport: () => Transport = pickTransport): LabClient {
  const lab = useLabStore()
  const trace = useTraceStore()
  const recording = useRecordingStore()
  const presenter = usePresenterStore()
  const lessons = useLessonStore()
  const showingLive = () => recording.mode === 'live'
  let current = { transport, client: new LabClient(transport) }

  const wire = (client: LabClient) => {
    // A replaced connection's last words (its close) are not this one's.
    const mine = () => current.client === client
    client.onStatus((status) => mine() && lab.setStatus(status))
    client.onInvalid((message) => mine() && lab.report({ code: 'BAD_MESSAGE', message }))
    client.onMessage((message) => {
      if (!mine()) return
      switch (message.type) {
        case 'hello':
          // A (re)connection: the host replays its history next, so start from empty.
          if (showingLive()) trace.reset(message.now, { since: message.clearedAt ?? null })
          lab.applyHello(message)
          if (showingLive()) presenter.setNotes(message.notes)
          lessons.setLiveRuns(message.lessons)
          break
        case 'events':
          if (showingLive()) trace.ingest(message.events, message.now)
          break
        case 'runs':
          if (showingLive()) trace.syncClock(message.now)
          lab.setRuns(message.runs)
          break
        case 'problem':
          lab.report({ code: message.code, message: `${message.run}: ${message.message}` })
          break
        case 'notes':
          if (showingLive()) presenter.setNotes(message.notes)
          break
        case 'lessons':
          lessons.setLiveRuns(message.lessons)
          break
        case 'cleared':
          if (showingLive()) trace.reset(message.now, { keepLiveOs: true, since: message.now })
          break
        default:
          // The rest (the host's recordings) are the lab store's alone.
          lab.applyMessage(message)
      }
    })
  }

  wire(current.client)
  lab.attach(current.client)

  watch(
    () => recording.mode,
    (mode, before) => {
      if (mode !== 'live' || before !== 'recording') return
      const old = current
      const transport = makeTransport()
      current = { transport, client: new LabClient(transport) }
      wire(current.client)
      lab.attach(current.client)
      old.transport.close()
    },
  )
  return current.client
}
