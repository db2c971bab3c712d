/** How many models one compare runs side by side (runtime-neutral: the renderer's compare view reads it too). */
export const MIN_COMPARED = 2
export const MAX_COMPARED = 4
