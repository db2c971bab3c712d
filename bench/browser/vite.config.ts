import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/** The bench page (bench/chromium.bench.ts builds and serves it): the real renderer modules, no app around them. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2024', minify: false },
})
