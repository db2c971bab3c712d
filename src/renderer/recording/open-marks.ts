/**
 * Where an open of trace files spends its time, as marks on the page's performance
 * timeline (the browser's performance panel shows them; the app-open bench reads them):
 * `sockscope:open`, then `sockscope:open:PHASE` for each phase as it ends — read (the
 * worker has read and checked the files), store (its store has reached the page), routed
 * (sorted into tracks), loaded, derived (every track derived), laid-out (the lanes), drawn
 * (the first frame of the canvas after it). A phase is marked once per open: the layout and
 * the canvas run every frame in live mode, and marks stay in the page's buffer.
 */

export type OpenPhase = 'read' | 'store' | 'routed' | 'loaded' | 'derived' | 'laid-out' | 'drawn'

/** The worker's phases, then (armed once the store is loaded, since the layout and the canvas run before it too) the page's. */
const LOADING: readonly OpenPhase[] = ['read', 'store', 'routed', 'loaded']
const SHOWING: readonly OpenPhase[] = ['derived', 'laid-out', 'drawn']

let pending = new Set<OpenPhase>()

/** An open begins: its phases are marked from now on, each once. */
export function markOpenStart(): void {
  performance.mark('sockscope:open')
  pending = new Set(LOADING)
}

/** The end of one phase of the open under way (nothing once it is marked, or with no open). */
export function markOpenPhase(phase: OpenPhase): void {
  if (!pending.delete(phase)) return
  performance.mark(`sockscope:open:${phase}`)
  if (phase === 'loaded') for (const next of SHOWING) pending.add(next)
}

/** An open that failed or was replaced: nothing more to mark. */
export function markOpenEnd(): void {
  pending.clear()
}
