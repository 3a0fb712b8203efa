/**
 * Median latency against MACs and against activations (log–log), one series per backend
 * configuration: the two charts show at a glance which measure the points line up with.
 * uPlot: a small (≈ 50 kB) canvas charting library.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatCount, formatMs, modelName } from '../lib/format';
import type { LatencyRow } from '../lib/latency-results';
import { el } from './dom';

/** Distinguishable for the common colour-vision deficiencies (Okabe–Ito). */
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

function chartData(
  rows: readonly LatencyRow[],
  x: 'macs' | 'activations',
  configs: string[],
): uPlot.AlignedData {
  const xs = [...new Set(rows.map((r) => r[x]))].sort((a, b) => a - b);
  const series = configs.map((key) =>
    xs.map((v) => {
      const hits = rows.filter((r) => r.configKey === key && r[x] === v);
      return hits.length ? Math.min(...hits.map((r) => r.medianMs)) : null;
    }),
  );
  return [xs, ...series];
}

function makeChart(
  rows: readonly LatencyRow[],
  x: 'macs' | 'activations',
  width: number,
): HTMLElement {
  const configs = [...new Set(rows.map((r) => r.configKey))];
  const labelOf = (key: string): string =>
    rows.find((r) => r.configKey === key)?.configLabel ?? key;
  const namesAt = (value: number): string =>
    [...new Set(rows.filter((r) => r[x] === value).map((r) => modelName(r.modelId)))].join(', ');
  const figure = el('figure');
  const holder = el('div');
  figure.append(holder);
  const title = x === 'macs' ? 'Median latency vs MACs' : 'Median latency vs activations';
  new uPlot(
    {
      title,
      width,
      height: 300,
      scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
      axes: [
        {
          label: x === 'macs' ? 'MACs' : 'activations',
          values: (_u, splits) => splits.map((v) => (v == null ? '' : formatCount(v))),
        },
        {
          label: 'median latency (ms)',
          values: (_u, splits) => splits.map((v) => (v == null ? '' : String(+v.toPrecision(3)))),
        },
      ],
      series: [
        {
          label: x === 'macs' ? 'MACs' : 'activations',
          value: (_u, v) => (v == null ? '—' : `${formatCount(v)} (${namesAt(v)})`),
        },
        ...configs.map((key, i) => ({
          label: labelOf(key),
          stroke: PALETTE[i % PALETTE.length],
          fill: PALETTE[i % PALETTE.length],
          paths: () => null,
          points: { show: true, size: 9, fill: PALETTE[i % PALETTE.length] },
          value: (_u: uPlot, v: number | null) => formatMs(v),
        })),
      ],
    },
    chartData(rows, x, configs),
    holder,
  );
  figure.append(
    el(
      'figcaption',
      undefined,
      `${title}, log–log; one point per model and backend. Hover a point for the model.`,
    ),
  );
  return figure;
}

export function renderCharts(container: HTMLElement, rows: readonly LatencyRow[]): void {
  container.replaceChildren();
  if (rows.length === 0) {
    container.append(el('p', 'muted', 'The charts appear as results come in.'));
    return;
  }
  const width = Math.max(
    280,
    Math.min(640, container.clientWidth / (container.clientWidth > 900 ? 2 : 1) - 16),
  );
  container.append(makeChart(rows, 'macs', width), makeChart(rows, 'activations', width));
}
