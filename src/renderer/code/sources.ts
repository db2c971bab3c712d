/// <reference types="vite/client" />
import type { ReadProgramFile } from '../../servers/programs/program.ts'

// The programs' files as they are in the tree, bundled as text at build time: the Python
// ports, and the models' and apps' own TypeScript (what the server runs is what is shown).
const files = import.meta.glob(['../../servers/programs/python/*.py', '../../servers/models/*.ts', '../../servers/apps/*.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>

const PREFIX = '../../servers/'

export const readBundledFile: ReadProgramFile = (file) => files[PREFIX + file]
