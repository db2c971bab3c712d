import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'
import { contentSecurityPolicy } from './src/servers/web/csp.ts'

/**
 * Three builds (electron-vite): main, with the lab's child-process entries beside it;
 * the preload, as one CommonJS file (a sandboxed preload cannot load modules); the
 * renderer, which web mode serves too.
 */
export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          // The lab forks these by path (src/servers/entries.ts, SOCKSCOPE_ENTRY_DIR).
          'server-host': resolve('src/servers/host/server-host.ts'),
          'client-driver': resolve('src/servers/clients/client-driver.ts'),
          'fork-child': resolve('src/servers/models/fork-child.ts'),
          'thread-worker': resolve('src/servers/models/thread-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [
      vue(),
      {
        name: 'sockscope-csp',
        transformIndexHtml: {
          order: 'post',
          handler: (html, ctx) =>
            // The dev server injects its client inline: the strict policy is for builds.
            ctx.server ? html : html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}" />`),
        },
      },
    ],
    build: {
      // Every asset as a file: the CSP allows no data: fonts or scripts.
      assetsInlineLimit: 0,
      rolldownOptions: { input: resolve('src/renderer/index.html') },
    },
  },
})
