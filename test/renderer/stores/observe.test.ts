import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import type { RunInfo } from '../../../src/servers/web/protocol.ts'
import { ApiError, type LabClient } from '../../../src/renderer/api/lab-client.ts'
import { useLabStore } from '../../../src/renderer/stores/lab.ts'
import { useObserveStore } from '../../../src/renderer/stores/observe.ts'

const observed = (pid: number, id = 'o1'): RunInfo => ({ id, kind: 'observed', pid, state: 'running', spec: { pid, command: 'python3 x.py' }, startedAt: 0, endedAt: null })

/** A lab that observes any pid once, and refuses one it already observes, as the real one does. */
function fakeLab() {
  const lab = useLabStore()
  const calls: number[] = []
  const client = {
    request: async (method: string, params: { pid: number }) => {
      if (method !== 'observe') throw new Error(method)
      calls.push(params.pid)
      if (lab.runs.some((r) => r.pid === params.pid)) throw new ApiError('BAD_OPTION', `process ${params.pid} is already observed`)
      const run = observed(params.pid, `o${calls.length}`)
      lab.setRuns([...lab.runs, run])
      return run
    },
  } as unknown as LabClient
  lab.attach(client)
  lab.setStatus('open')
  return { lab, calls }
}

describe('the observe store', () => {
  beforeEach(() => setActivePinia(createPinia()))

  // Issue 9: a pick from the list left its pid in the field with Observe enabled, and
  // clicking it gave `BAD_OPTION process 5553 is already observed (o18)`.
  it('empties the field once the process is observed, by a pick or by the button', async () => {
    const { calls } = fakeLab()
    const obs = useObserveStore()
    await obs.observe(5553)
    expect(obs.pidText).toBe('')
    expect(obs.canObserve).toBe(false)
    expect(obs.refusal).toBeNull()
    obs.edit('6000')
    expect(obs.canObserve).toBe(true)
    await obs.observe()
    expect(obs.pidText).toBe('')
    expect(calls).toEqual([5553, 6000])
  })

  it('does not offer to observe a process already observed, and does not ask the lab', async () => {
    const { lab, calls } = fakeLab()
    lab.setRuns([observed(5553, 'o18')])
    const obs = useObserveStore()
    obs.edit('5553')
    expect(obs.already?.id).toBe('o18')
    expect(obs.canObserve).toBe(false)
    await obs.observe()
    await obs.observe(5553)
    expect(calls).toEqual([])
    expect(obs.refusal).toBeNull()
    // Once it is no longer observed, it can be again.
    lab.setRuns([{ ...observed(5553, 'o18'), state: 'stopped', endedAt: 1 }])
    expect(obs.canObserve).toBe(true)
  })

  it('keeps the PID and says why when the lab refuses', async () => {
    const lab = useLabStore()
    lab.attach({ request: async () => Promise.reject(new ApiError('NO_SUCH_PROCESS', 'no process with pid 99999999')) } as unknown as LabClient)
    lab.setStatus('open')
    const obs = useObserveStore()
    obs.edit('99999999')
    await obs.observe()
    expect(obs.pidText).toBe('99999999')
    expect(obs.refusal).toEqual({ code: 'NO_SUCH_PROCESS', message: 'no process with pid 99999999' })
    obs.edit('9999999')
    expect(obs.refusal).toBeNull()
  })
})
