/**
 * Live latency per model, backend and thread: a sliding window each, shown as a table,
 * with the page's frame time while that model ran (the intervals between
 * requestAnimationFrame callbacks: 16.7 ms is a smooth 60 fps; a model on the page's
 * thread stretches them by its inference time, one in a worker does not).
 */
import { formatFps, formatMs, modelName } from '../lib/format';
import { SlidingWindow } from '../lib/stats';
import { el } from './dom';

const WINDOW = 30;
/** About two seconds of frames at 60 fps. */
const FRAME_WINDOW = 120;

/** A row of the table: 'FD-MobileNet 0.5× · wasm · worker'. */
export function latencyKey(modelId: string, backend: string, inWorker: boolean): string {
  return `${modelName(modelId)} · ${backend}${inWorker ? ' · worker' : ''}`;
}

export class LiveLatency {
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly frames = new Map<string, SlidingWindow>();
  private current = '';

  constructor(private readonly body: HTMLTableSectionElement) {}

  record(key: string, latencyMs: number, completedAtMs: number): void {
    this.current = key;
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new SlidingWindow(WINDOW)));
    w.push(latencyMs, completedAtMs);
  }

  /** One interval between the page's animation frames, counted for the current model. */
  recordFrame(intervalMs: number, atMs: number): void {
    if (this.current === '') return;
    let w = this.frames.get(this.current);
    if (!w) this.frames.set(this.current, (w = new SlidingWindow(FRAME_WINDOW)));
    w.push(intervalMs, atMs);
  }

  /** A model starts (again): its frame rate restarts, as frames before were not its. */
  restart(key: string): void {
    this.windows.get(key)?.clear();
    this.frames.get(key)?.clear();
    this.current = key;
  }

  render(): void {
    const rows = [...this.windows.entries()].map(([key, w]) => {
      const s = w.summary();
      const frames = this.frames.get(key)?.summary();
      const tr = el('tr');
      if (key === this.current) tr.setAttribute('aria-current', 'true');
      const name = el('th', 'text', key);
      name.scope = 'row';
      tr.append(
        name,
        el('td', 'last', formatMs(s?.last)),
        el('td', 'median', formatMs(s?.median)),
        el('td', 'p95', formatMs(s?.p95)),
        el('td', 'fps', key === this.current ? formatFps(s?.fps) : '—'),
        el('td', 'frame', formatMs(frames?.p95)),
      );
      return tr;
    });
    this.body.replaceChildren(...rows);
  }
}
