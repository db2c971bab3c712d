import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { FieldInfo } from '../../servers/web/protocol.ts'
import { defaultValue, formatValue, parseValue, visibleFields } from '../model/form.ts'
import { clientTargets } from '../model/observe.ts'
import { DEMO, useLabStore } from './lab.ts'
import { useProcessesStore } from './processes.ts'

/** Form text by field name, and the first error in it. */
type FormText = Record<string, string>

/** Fields each form sets by other means (selects, the target server). */
const SERVER_HIDDEN = ['model', 'app', 'host']
const SERVER_ALWAYS = ['port']
const CLIENT_HIDDEN = ['workload', 'host', 'port']

/**
 * The control panel's area: the server and client forms, with fields from the catalog
 * (so new models, apps, workloads and spec fields appear without UI changes).
 */
export const useControlsStore = defineStore('controls', () => {
  const lab = useLabStore()
  const procs = useProcessesStore()
  const model = ref<string>(DEMO.server.model)
  const app = ref<string>(DEMO.server.app)
  const workload = ref<string>(DEMO.clients.workload)
  const target = ref<string | null>(null)
  const serverText = ref<FormText>({})
  const clientText = ref<FormText>({})

  const serverFields = computed<FieldInfo[]>(() => {
    const catalog = lab.catalog
    if (!catalog) return []
    // The model's options and the app's (bank's --lock, length-prefixed's limit).
    const options = [...(catalog.models.find((m) => m.name === model.value)?.options ?? []), ...(catalog.apps.find((a) => a.name === app.value)?.options ?? [])]
    return visibleFields(catalog.serverFields, options, SERVER_ALWAYS, SERVER_HIDDEN)
  })
  const clientFields = computed<FieldInfo[]>(() => {
    const catalog = lab.catalog
    if (!catalog) return []
    const options = catalog.workloads.find((w) => w.name === workload.value)?.options ?? []
    return visibleFields(catalog.clientFields, options, [], CLIENT_HIDDEN)
  })

  // Defaults from the catalog, with the classic demo's values where they apply.
  watch(
    () => lab.catalog,
    (catalog) => {
      if (!catalog) return
      const demo: Record<string, unknown> = { ...DEMO.server }
      for (const field of catalog.serverFields) serverText.value[field.name] ??= formatValue(field, demo[field.name] ?? defaultValue(field))
      const demoClients: Record<string, unknown> = { ...DEMO.clients }
      for (const field of catalog.clientFields) clientText.value[field.name] ??= formatValue(field, demoClients[field.name] ?? defaultValue(field))
      if (!catalog.models.some((m) => m.name === model.value)) model.value = catalog.models[0]?.name ?? ''
      if (!catalog.apps.some((a) => a.name === app.value)) app.value = catalog.apps[0]?.name ?? ''
      if (!catalog.workloads.some((w) => w.name === workload.value)) workload.value = catalog.workloads[0]?.name ?? ''
    },
    { immediate: true },
  )

  /** What clients can aim at: the lab's running servers, then observed processes that listen. */
  const targets = computed(() => clientTargets(lab.liveServers, procs.observed))

  // The clients' target: the first port of the newest running server (else an observed
  // one), unless the user picked another that is still there.
  watch(
    () => targets.value.map((t) => t.id).join(','),
    () => {
      const list = targets.value
      if (list.some((t) => t.id === target.value)) return
      const newest = list.filter((t) => t.kind === 'server').at(-1)?.run
      target.value = list.find((t) => t.run === newest)?.id ?? list[0]?.id ?? null
    },
    { immediate: true },
  )

  const serverErrors = computed(() => errorsOf(serverFields.value, serverText.value))
  const clientErrors = computed(() => errorsOf(clientFields.value, clientText.value))
  const targetInfo = computed(() => targets.value.find((t) => t.id === target.value) ?? null)

  function serverSpec(): Record<string, unknown> | null {
    if (Object.keys(serverErrors.value).length) return null
    return { model: model.value, app: app.value, ...valuesOf(serverFields.value, serverText.value) }
  }

  function clientSpec(): Record<string, unknown> | null {
    const aim = targetInfo.value
    if (!aim || Object.keys(clientErrors.value).length) return null
    return { workload: workload.value, host: aim.host, port: aim.port, ...valuesOf(clientFields.value, clientText.value) }
  }

  async function startServer(): Promise<void> {
    const spec = serverSpec()
    if (!spec) return
    const run = await lab.startServer(spec)
    // Aim the clients at it (its first port).
    target.value = run.id
  }

  async function runClients(): Promise<void> {
    const spec = clientSpec()
    if (spec) await lab.runClients(spec)
  }

  return {
    model, app, workload, target, serverText, clientText,
    serverFields, clientFields, serverErrors, clientErrors, targets, targetInfo,
    serverSpec, clientSpec, startServer, runClients,
  }
})

function errorsOf(fields: FieldInfo[], text: FormText): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const field of fields) {
    const parsed = parseValue(field, text[field.name] ?? '')
    if (!parsed.ok) errors[field.name] = parsed.error
  }
  return errors
}

function valuesOf(fields: FieldInfo[], text: FormText): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const field of fields) {
    const parsed = parseValue(field, text[field.name] ?? '')
    if (parsed.ok) values[field.name] = parsed.value
  }
  return values
}
