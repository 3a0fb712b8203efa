/**
 * A region of interest dragged on the picture: the rectangle drawn over the video (or image),
 * as classify's `regionOfInterest` (fractions of the picture's own width and height, so the
 * letterboxing of `object-fit: contain` is taken out). A click without a drag, or `clear()`,
 * goes back to the whole picture. The region in use is also on the viewport as
 * `data-region="left,top,right,bottom"`.
 */
import type { RegionOfInterest } from '../../src/index';

/** Drags smaller than this (a fraction of the picture) are clicks. */
const MIN_SIDE = 0.02;

export interface RegionSelect {
  /** The region to classify, or null for the whole picture. */
  region(): RegionOfInterest | null;
  clear(): void;
}

/** Where the picture's pixels lie in its element (object-fit: contain), in client pixels. */
function contentRect(media: HTMLVideoElement | HTMLImageElement): DOMRect {
  const box = media.getBoundingClientRect();
  const [width, height] =
    media instanceof HTMLVideoElement
      ? [media.videoWidth, media.videoHeight]
      : [media.naturalWidth, media.naturalHeight];
  if (width === 0 || height === 0) return box;
  const scale = Math.min(box.width / width, box.height / height);
  const w = width * scale;
  const h = height * scale;
  return new DOMRect(box.left + (box.width - w) / 2, box.top + (box.height - h) / 2, w, h);
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * Lets the user drag a region on `viewport` over whichever of `media()` is shown; `box` is
 * the element drawn over it; `onChange` runs when the region is set or cleared.
 */
export function createRegionSelect(options: {
  viewport: HTMLElement;
  box: HTMLElement;
  media: () => HTMLVideoElement | HTMLImageElement | null;
  onChange: (region: RegionOfInterest | null) => void;
}): RegionSelect {
  const { viewport, box, media, onChange } = options;
  let region: RegionOfInterest | null = null;
  let start: { x: number; y: number } | null = null;

  const fraction = (e: PointerEvent, shown: HTMLVideoElement | HTMLImageElement) => {
    const r = contentRect(shown);
    return {
      x: clamp01((e.clientX - r.left) / r.width),
      y: clamp01((e.clientY - r.top) / r.height),
    };
  };

  function draw(r: RegionOfInterest | null): void {
    const shown = media();
    box.hidden = r === null || shown === null;
    if (r === null || shown === null) return;
    const content = contentRect(shown);
    const frame = viewport.getBoundingClientRect();
    box.style.left = `${content.left - frame.left + r.left * content.width}px`;
    box.style.top = `${content.top - frame.top + r.top * content.height}px`;
    box.style.width = `${(r.right - r.left) * content.width}px`;
    box.style.height = `${(r.bottom - r.top) * content.height}px`;
  }

  const between = (a: { x: number; y: number }, b: { x: number; y: number }): RegionOfInterest => ({
    left: Math.min(a.x, b.x),
    top: Math.min(a.y, b.y),
    right: Math.max(a.x, b.x),
    bottom: Math.max(a.y, b.y),
  });

  function set(next: RegionOfInterest | null): void {
    region = next;
    if (next === null) delete viewport.dataset.region;
    else {
      viewport.dataset.region = [next.left, next.top, next.right, next.bottom].join(',');
    }
    draw(next);
    onChange(next);
  }

  viewport.addEventListener('pointerdown', (e) => {
    const shown = media();
    if (shown === null || e.button !== 0) return;
    e.preventDefault();
    viewport.setPointerCapture(e.pointerId);
    start = fraction(e, shown);
  });
  viewport.addEventListener('pointermove', (e) => {
    const shown = media();
    if (start === null || shown === null) return;
    draw(between(start, fraction(e, shown)));
  });
  const finish = (e: PointerEvent): void => {
    const shown = media();
    if (start === null || shown === null) return;
    const r = between(start, fraction(e, shown));
    start = null;
    const isDrag = r.right - r.left >= MIN_SIDE && r.bottom - r.top >= MIN_SIDE;
    set(isDrag ? r : null);
  };
  viewport.addEventListener('pointerup', finish);
  viewport.addEventListener('pointercancel', () => {
    start = null;
    draw(region);
  });
  // The picture's place in the viewport moves with the layout.
  new ResizeObserver(() => draw(region)).observe(viewport);

  return {
    region: () => region,
    clear: () => set(null),
  };
}
