import '@fontsource/inter/400.css'
import '@fontsource/inter/500.css'
import '@fontsource/inter/600.css'
import '@fontsource/jetbrains-mono/400.css'
import './styles/app.css'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import { z } from 'zod'
import App from './App.vue'
import { connectLab } from './api/wiring.ts'
import { installTestHook } from './test-hook.ts'

// The CSP allows no eval: tell zod not to try its compiled fast path.
z.config({ jitless: true })

const app = createApp(App)
app.use(createPinia())
connectLab()
installTestHook()
app.mount('#app')
