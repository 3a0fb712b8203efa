/** Live latency per model and backend: a sliding window each, shown as a table. */
import { formatFps, formatMs, modelName } from '../lib/format';
import { SlidingWindow } from '../lib/stats';
import { el } from './dom';

const WINDOW = 30;

export class LiveLatency {
  private readonly windows = new Map<string, SlidingWindow>();
  private current = '';

  constructor(private readonly body: HTMLTableSectionElement) {}

  private key(modelId: string, backend: string): string {
    return `${modelName(modelId)} · ${backend}`;
  }

  record(modelId: string, backend: string, latencyMs: number, completedAtMs: number): void {
    const key = this.key(modelId, backend);
    this.current = key;
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new SlidingWindow(WINDOW)));
    w.push(latencyMs, completedAtMs);
  }

  /** A model starts (again): its frame rate restarts, as frames before were not its. */
  restart(modelId: string, backend: string): void {
    this.windows.get(this.key(modelId, backend))?.clear();
    this.current = this.key(modelId, backend);
  }

  render(): void {
    const rows = [...this.windows.entries()].map(([key, w]) => {
      const s = w.summary();
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
      );
      return tr;
    });
    this.body.replaceChildren(...rows);
  }
}
