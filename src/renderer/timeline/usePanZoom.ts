import { onBeforeUnmount, onMounted, type Ref } from 'vue'
import type { TimeScale } from './time-scale.ts'
import { wheelZoomFactor } from './viewport.ts'

export interface PanZoomTarget {
  /** The scale of the frame on screen (null before the first frame). */
  scale(): TimeScale | null
  /** Left edge of the plot area (the label column is not draggable time). */
  plotLeft(): number
  zoom(factor: number, anchorT?: number): void
  pan(deltaUs: number): void
  scrollBy(deltaPx: number): void
  toggleFollow(): void
  fitAll(): void
  clearSelection(): void
  /** A press and release without a drag: a click at (x, y). */
  click(x: number, y: number): void
  /** Whether y is on the time axis, where a press or a drag moves the playhead instead. */
  onAxis(y: number): boolean
  /** Move the playhead to the time at x. */
  scrub(x: number): void
  /** CSS pixels per pixel of the drawing (the presenter view draws larger): x and y are the drawing's. */
  drawScale(): number
}

const KEY_ZOOM = 1.35
const KEY_PAN = 0.18

/**
 * Pan and zoom for the timeline, the way Chrome's performance panel does it: the wheel
 * zooms at the pointer, shift+wheel scrolls the lanes, a horizontal wheel pans, dragging
 * pans time and lanes, and W/S zoom, A/D pan, ↑/↓ scroll, F follows live, 0 fits. A
 * press or a drag on the time axis moves the playhead (the replay's keys are
 * usePlaybackKeys').
 */
export function usePanZoom(element: Ref<HTMLElement | null>, target: PanZoomTarget) {
  let drag: { x: number; y: number; lastX: number; lastY: number; moved: boolean; id: number; scrub: boolean } | null = null

  const local = (e: MouseEvent) => {
    const rect = element.value!.getBoundingClientRect()
    const k = target.drawScale()
    return { x: (e.clientX - rect.left) / k, y: (e.clientY - rect.top) / k }
  }

  const onWheel = (e: WheelEvent) => {
    const scale = target.scale()
    if (!scale) return
    e.preventDefault()
    if (e.shiftKey) return target.scrollBy(e.deltaY || e.deltaX)
    if (Math.abs(e.deltaX) > Math.abs(e.deltaY)) return target.pan(e.deltaX / scale.pxPerUs)
    const { x } = local(e)
    const anchor = x >= target.plotLeft() ? scale.toT(x) : undefined
    target.zoom(wheelZoomFactor(e.deltaY, e.deltaMode), anchor)
  }

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return
    const { x, y } = local(e)
    const scrub = target.onAxis(y)
    drag = { x, y, lastX: x, lastY: y, moved: false, id: e.pointerId, scrub }
    element.value?.setPointerCapture(e.pointerId)
    if (scrub) target.scrub(x)
  }

  const onPointerMove = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.id) return
    const { x, y } = local(e)
    if (drag.scrub) {
      drag.moved = true
      return target.scrub(x)
    }
    if (!drag.moved && Math.hypot(x - drag.x, y - drag.y) < 4) return
    drag.moved = true
    const scale = target.scale()
    if (scale && x !== drag.lastX) target.pan(-(x - drag.lastX) / scale.pxPerUs)
    if (y !== drag.lastY) target.scrollBy(-(y - drag.lastY))
    drag.lastX = x
    drag.lastY = y
  }

  const onPointerUp = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.id) return
    const wasDrag = drag.moved
    const { x, y } = local(e)
    const wasScrub = drag.scrub
    drag = null
    element.value?.releasePointerCapture(e.pointerId)
    if (!wasDrag && !wasScrub) target.click(x, y)
  }

  const onKey = (e: KeyboardEvent) => {
    const el = e.target as HTMLElement | null
    if (el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable)) return
    if (e.ctrlKey || e.metaKey || e.altKey) return
    const scale = target.scale()
    const spanUs = scale ? scale.span : 0
    switch (e.key) {
      case 'w':
      case 'W':
      case '+':
      case '=':
        target.zoom(1 / KEY_ZOOM)
        break
      case 's':
      case 'S':
      case '-':
      case '_':
        target.zoom(KEY_ZOOM)
        break
      case 'a':
      case 'A':
        target.pan(-spanUs * KEY_PAN)
        break
      case 'd':
      case 'D':
        target.pan(spanUs * KEY_PAN)
        break
      case 'ArrowUp':
        target.scrollBy(-60)
        break
      case 'ArrowDown':
        target.scrollBy(60)
        break
      case 'f':
      case 'F':
        target.toggleFollow()
        break
      case '0':
        target.fitAll()
        break
      case 'Escape':
        target.clearSelection()
        break
      default:
        return
    }
    e.preventDefault()
  }

  onMounted(() => {
    const el = element.value
    if (!el) return
    el.addEventListener('wheel', onWheel, { passive: false })
    el.addEventListener('pointerdown', onPointerDown)
    el.addEventListener('pointermove', onPointerMove)
    el.addEventListener('pointerup', onPointerUp)
    el.addEventListener('pointercancel', onPointerUp)
    window.addEventListener('keydown', onKey)
  })
  onBeforeUnmount(() => {
    const el = element.value
    el?.removeEventListener('wheel', onWheel)
    el?.removeEventListener('pointerdown', onPointerDown)
    el?.removeEventListener('pointermove', onPointerMove)
    el?.removeEventListener('pointerup', onPointerUp)
    el?.removeEventListener('pointercancel', onPointerUp)
    window.removeEventListener('keydown', onKey)
  })

  return { isDragging: () => drag?.moved ?? false }
}
