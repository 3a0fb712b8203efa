/** The sortable results table of the latency page. */
import { formatCount, formatFps, formatMs, modelName } from '../lib/format';
import type { LatencyRow } from '../lib/latency-results';
import type { SortDirection, SortValue } from '../lib/sort';
import { nextSort, sortRows } from '../lib/sort';
import { el } from './dom';

interface ColumnDef {
  id: string;
  header: string;
  text?: boolean;
  sortValue: (r: LatencyRow) => SortValue;
  render: (r: LatencyRow) => string | HTMLElement;
}

const COLUMNS: ColumnDef[] = [
  {
    id: 'model',
    header: 'Model',
    text: true,
    sortValue: (r) => r.modelId,
    render: (r) => modelName(r.modelId),
  },
  {
    id: 'weights',
    header: 'Weights',
    text: true,
    sortValue: (r) => r.weights,
    render: (r) => el('span', `badge ${r.weights}`, r.weights),
  },
  {
    id: 'backend',
    header: 'Backend',
    text: true,
    sortValue: (r) => r.configLabel,
    render: (r) => r.configLabel,
  },
  {
    id: 'median',
    header: 'Median',
    sortValue: (r) => r.medianMs,
    render: (r) => formatMs(r.medianMs),
  },
  { id: 'p95', header: 'p95', sortValue: (r) => r.p95Ms, render: (r) => formatMs(r.p95Ms) },
  {
    id: 'first',
    header: 'First prediction',
    sortValue: (r) => r.timeToFirstMs,
    render: (r) => formatMs(r.timeToFirstMs),
  },
  { id: 'fps', header: 'FPS', sortValue: (r) => r.fps, render: (r) => formatFps(r.fps) },
  {
    id: 'params',
    header: 'Params',
    sortValue: (r) => r.params,
    render: (r) => formatCount(r.params),
  },
  { id: 'macs', header: 'MACs', sortValue: (r) => r.macs, render: (r) => formatCount(r.macs) },
  {
    id: 'activations',
    header: 'Activations',
    sortValue: (r) => r.activations,
    render: (r) => formatCount(r.activations),
  },
  {
    id: 'top1',
    header: 'Top-1',
    sortValue: (r) => r.top1,
    render: (r) => (r.top1 === null ? '—' : `${r.top1} %`),
  },
];

export class ResultsTable {
  private rows: LatencyRow[] = [];
  private sort: { column: string; direction: SortDirection } | null = null;

  constructor(private readonly table: HTMLTableElement) {
    const head = el('tr');
    for (const col of COLUMNS) {
      const th = el('th', col.text ? 'text' : undefined);
      th.scope = 'col';
      th.dataset.column = col.id;
      const button = el('button', 'sort', col.header);
      button.type = 'button';
      button.addEventListener('click', () => {
        this.sort = nextSort(this.sort, col.id);
        this.render();
      });
      th.append(button);
      head.append(th);
    }
    table.tHead?.replaceChildren(head);
  }

  set(rows: LatencyRow[]): void {
    this.rows = rows;
    this.render();
  }

  private render(): void {
    const col = COLUMNS.find((c) => c.id === this.sort?.column);
    const rows =
      col && this.sort ? sortRows(this.rows, col.sortValue, this.sort.direction) : this.rows;
    for (const th of this.table.tHead?.querySelectorAll('th') ?? []) {
      const sorted = th.dataset.column === this.sort?.column;
      if (sorted)
        th.setAttribute('aria-sort', this.sort?.direction === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const body = this.table.tBodies[0];
    body?.replaceChildren(
      ...rows.map((r) => {
        const tr = el('tr');
        tr.dataset.model = r.modelId;
        tr.dataset.config = r.configKey;
        for (const c of COLUMNS) {
          const cell = c.id === 'model' ? el('th', 'text') : el('td', c.text ? 'text' : undefined);
          if (cell instanceof HTMLTableCellElement && c.id === 'model')
            cell.setAttribute('scope', 'row');
          cell.dataset.column = c.id;
          // The model's own account of its backend (threads included), on hover.
          if (c.id === 'backend') cell.title = r.backendReason;
          cell.append(c.render(r));
          tr.append(cell);
        }
        return tr;
      }),
    );
  }
}
