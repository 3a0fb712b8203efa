/** What `webnets info` and `webnets list` report about a model, as JSON and as a table. */
import { complexity } from '../models/complexity';
import { pretrainedFor } from '../models/pretrained';
import type { NetworkSpec } from '../models/spec';

export interface ModelRow {
  id: string;
  family: string;
  inputSize: number;
  params: number;
  macs: number;
  activations: number;
}

export function modelRow(spec: NetworkSpec): ModelRow {
  const { params, macs, activations } = complexity(spec);
  return { id: spec.id, family: spec.family, inputSize: spec.inputSize, params, macs, activations };
}

/** 5288548 → "5.29 M", 385800000 → "385.8 M", 3.2e9 → "3.20 G". */
export function humanCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 1 : 2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** A plain-text table: left-aligned text columns, right-aligned numbers. */
export function formatTable(rows: ModelRow[]): string {
  const header = ['id', 'family', 'input', 'params', 'MACs', 'activations'];
  const cells = rows.map((r) => [
    r.id,
    r.family,
    `${r.inputSize}²`,
    humanCount(r.params),
    humanCount(r.macs),
    humanCount(r.activations),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}

/** docs/models.md's model table: complexity from the spec, weights and accuracy from models.json. */
export function markdownTable(rows: ModelRow[]): string {
  const lines = [
    '| id | input | params | MACs | activations | pretrained weights | ImageNet top-1 |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const r of rows) {
    const weights = pretrainedFor(r.id);
    const source = weights
      ? `[${weights.weights}](${weights.url})`
      : 'none published (synthetic only)';
    const top1 = weights?.top1 != null ? `${weights.top1.toFixed(1)} %` : '—';
    const input = weights ? weights.preprocessing.inputSize : r.inputSize;
    lines.push(
      `| \`${r.id}\` | ${input}² | ${humanCount(r.params)} | ${humanCount(r.macs)} | ${humanCount(r.activations)} | ${source} | ${top1} |`,
    );
  }
  return lines.join('\n');
}
