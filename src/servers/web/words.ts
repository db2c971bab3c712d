/**
 * Words for people, shared by the host (the catalog) and the renderer (its forms):
 * runtime-neutral, no imports.
 */

/** A field's name as a label: `maxBacklog` → `Max backlog` (sentence case, like every label). */
export function humanize(name: string): string {
  const words = name
    .replace(/[-_]/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
